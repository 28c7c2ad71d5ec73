/**
 * State-of-the-world ADS (`StreamAggregatedResources`), following Envoy's xDS protocol and
 * Istio's `ShouldRespond`:
 * - a request with an empty nonce (or for a type not yet watched) is an initial request or a
 *   reconnect: answer with everything subscribed;
 * - a request carrying `error_detail` is a NACK: record it, keep quiet (the proxy keeps its last
 *   good config and the rejected version is not resent);
 * - a nonce other than the last one sent is stale: ignore it (xds_protocol#resource-updates);
 * - otherwise it is an ACK, and a response follows only if it subscribes to new names.
 * Listener and Cluster responses are always complete; other types carry the subscribed
 * resources on full pushes and only the changed ones on endpoint pushes.
 */
import type { DiscoveryRequest__Output } from '../xds/generated/envoy/service/discovery/v3/DiscoveryRequest.js';
import type { EncodedResource } from '../xds/resource-encoding.js';
import { isCompleteInSotw } from '../xds/type-rules.js';
import { PROXY_REQUEST, XdsConnection } from './connection.js';
import type { PushRequest } from './push-request.js';
import { WatchedType } from './watched-type.js';
import { performance } from 'node:perf_hooks';

export class SotwConnection extends XdsConnection {
  protected async handleRequest(message: object): Promise<void> {
    const request = message as DiscoveryRequest__Output;
    let watched = this.watched.get(request.type_url);
    if (request.error_detail) {
      if (!watched) return;
      const current = request.response_nonce === watched.nonceSent;
      this.logNack(watched, request.error_detail.code, request.error_detail.message, !current);
      if (current) {
        watched.recordNack(request.response_nonce, request.error_detail.message);
        this.noteNack();
      }
      return;
    }
    if (!watched || request.response_nonce === '') {
      if (!watched) {
        watched = new WatchedType(request.type_url);
        this.watched.set(request.type_url, watched);
      }
      watched.setSotwNames(request.resource_names);
      // Nothing requested (e.g. RDS when no listener names a route): nothing to answer.
      if (!watched.wildcard && watched.names.size === 0) return;
      await this.respond(watched, PROXY_REQUEST, true);
      return;
    }
    if (request.response_nonce !== watched.nonceSent) {
      this.noteExpiredNonce(watched);
      return;
    }
    watched.recordAck(request.response_nonce, request.version_info);
    this.noteAck(watched);
    // Envoy re-requests at the same nonce when it learns of new names (CDS → EDS names);
    // only new names need an answer.
    if (watched.setSotwNames(request.resource_names).length > 0) {
      await this.respond(watched, PROXY_REQUEST, true);
    }
  }

  protected pushType(watched: WatchedType, request: PushRequest): Promise<boolean> {
    return this.respond(watched, request, false);
  }

  /** Builds and sends one response; `always` answers a request even when nothing changed. */
  private async respond(watched: WatchedType, request: PushRequest, always: boolean): Promise<boolean> {
    const startedAt = performance.now();
    const generated = this.generate(watched, request);
    if (!generated) return false;
    const { resources, failed } = generated;
    const forced = this.takeForcedEndpoints(watched);
    const complete = isCompleteInSotw(watched.typeUrl);
    let toSend: EncodedResource[];
    if (complete) {
      // A resource that failed to encode keeps its last sent version: leaving it out of a
      // complete response would delete it from the proxy.
      for (const name of failed) {
        const held = watched.held.get(name);
        if (held && 'any' in held) resources.set(name, held);
      }
      toSend = [...resources.values()];
      if (!always && sameAsHeld(watched, resources)) return false;
    } else if (request.full || always) {
      toSend = [...resources.values()];
      if (!always && forced.size === 0 && toSend.every((r) => watched.held.get(r.name)?.version === r.version)) {
        return false;
      }
    } else {
      toSend = [...resources.values()].filter(
        (r) => forced.has(r.name) || watched.held.get(r.name)?.version !== r.version,
      );
      if (toSend.length === 0) return false;
    }
    this.noteClusterChanges(watched, toSend);
    if (complete) watched.held.clear();
    for (const resource of toSend) watched.held.set(resource.name, resource);
    const version = watched.heldVersion();
    const nonce = this.context.nextNonce();
    watched.recordSent(nonce, version);
    await this.send(
      watched,
      { version_info: version, resources: toSend.map((r) => r.any), type_url: watched.typeUrl, nonce },
      startedAt,
      always ? undefined : request.start,
    );
    return true;
  }
}

function sameAsHeld(watched: WatchedType, resources: ReadonlyMap<string, EncodedResource>): boolean {
  if (watched.nonceSent === undefined || resources.size !== watched.held.size) return false;
  for (const [name, resource] of resources) {
    if (watched.held.get(name)?.version !== resource.version) return false;
  }
  return true;
}
