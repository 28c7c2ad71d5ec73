/**
 * Incremental ADS (`DeltaAggregatedResources`), following xds_protocol#incremental-xds:
 * - responses carry only resources whose version (a content hash) differs from what the proxy
 *   holds, and `removed_resources` for those that are gone;
 * - on (re)connect, `initial_resource_versions` says what the proxy already holds, so
 *   unchanged resources are not sent again;
 * - newly subscribed names are always answered (with the resource, or in `removed_resources`
 *   when it does not exist), even if the server believes the proxy has them;
 * - subscription changes are honoured even when the nonce is stale; ACK/NACK state only
 *   follows the nonce that was sent last.
 */
import { performance } from 'node:perf_hooks';
import type { DeltaDiscoveryRequest__Output } from '../xds/generated/envoy/service/discovery/v3/DeltaDiscoveryRequest.js';
import type { EncodedResource } from '../xds/resource-encoding.js';
import { PROXY_REQUEST, XdsConnection } from './connection.js';
import type { PushRequest } from './push-request.js';
import { declaredResource, WatchedType } from './watched-type.js';

export class DeltaConnection extends XdsConnection {
  protected async handleRequest(message: object): Promise<void> {
    const request = message as DeltaDiscoveryRequest__Output;
    let watched = this.watched.get(request.type_url);
    const first = !watched;
    if (!watched) {
      watched = new WatchedType(request.type_url);
      this.watched.set(request.type_url, watched);
      for (const [name, version] of Object.entries(request.initial_resource_versions)) {
        watched.held.set(name, declaredResource(name, version));
      }
    }
    if (request.response_nonce !== '') {
      const current = request.response_nonce === watched.nonceSent;
      if (request.error_detail) {
        this.logNack(watched, request.error_detail.code, request.error_detail.message, !current);
        if (current) {
          watched.recordNack(request.response_nonce, request.error_detail.message);
          this.noteNack();
        }
      } else if (current) {
        watched.recordAck(request.response_nonce, watched.versionSent ?? '');
        this.noteAck(watched);
      } else {
        this.noteExpiredNonce(watched);
      }
    }
    const { added, unsubscribedUnderWildcard } = watched.applyDeltaSubscriptions(
      request.resource_names_subscribe,
      request.resource_names_unsubscribe,
      first,
    );
    if (first) {
      await this.respondInitial(watched);
    } else if (added.length > 0 || unsubscribedUnderWildcard.length > 0) {
      await this.respondToSubscriptions(watched, added, unsubscribedUnderWildcard);
    }
  }

  /** The first response for a type: what differs from `initial_resource_versions`, always sent. */
  private async respondInitial(watched: WatchedType): Promise<void> {
    const startedAt = performance.now();
    if (!watched.wildcard && watched.names.size === 0 && watched.held.size === 0) return;
    const generated = this.generate(watched, PROXY_REQUEST);
    if (!generated) return;
    const { resources, failed } = generated;
    const forced = this.takeForcedEndpoints(watched);
    const toSend = [...resources.values()].filter(
      (r) => forced.has(r.name) || watched.held.get(r.name)?.version !== r.version,
    );
    const removed = new Set<string>();
    for (const name of watched.held.keys()) if (!resources.has(name) && !failed.has(name)) removed.add(name);
    for (const name of watched.names) if (!resources.has(name) && !failed.has(name)) removed.add(name);
    await this.sendDelta(watched, toSend, [...removed], startedAt);
  }

  private async respondToSubscriptions(
    watched: WatchedType,
    added: readonly string[],
    unsubscribedUnderWildcard: readonly string[],
  ): Promise<void> {
    const startedAt = performance.now();
    const generated = this.generate(watched, PROXY_REQUEST);
    if (!generated) return;
    const { resources, failed } = generated;
    const toSend = new Map<string, EncodedResource>();
    for (const name of this.takeForcedEndpoints(watched)) {
      const resource = resources.get(name);
      if (resource) toSend.set(name, resource);
    }
    const removed: string[] = [];
    if (added.includes('*')) {
      for (const r of resources.values()) if (watched.held.get(r.name)?.version !== r.version) toSend.set(r.name, r);
    }
    for (const name of [...added, ...unsubscribedUnderWildcard]) {
      if (name === '*') continue;
      // Under the wildcard, `resources` still covers a name just unsubscribed.
      const resource = resources.get(name);
      if (resource) toSend.set(name, resource);
      else if (!failed.has(name)) removed.push(name);
    }
    if (toSend.size === 0 && removed.length === 0) return;
    await this.sendDelta(watched, [...toSend.values()], removed, startedAt);
  }

  protected async pushType(watched: WatchedType, request: PushRequest): Promise<boolean> {
    const startedAt = performance.now();
    const generated = this.generate(watched, request);
    if (!generated) return false;
    const { resources, failed } = generated;
    const forced = this.takeForcedEndpoints(watched);
    const toSend = [...resources.values()].filter(
      (r) => forced.has(r.name) || watched.held.get(r.name)?.version !== r.version,
    );
    // An endpoint push may carry only the affected clusters: absence there is not removal.
    const removed = request.full
      ? [...watched.held.keys()].filter((name) => !resources.has(name) && !failed.has(name))
      : [];
    if (toSend.length === 0 && removed.length === 0) return false;
    await this.sendDelta(watched, toSend, removed, startedAt, request.start);
    return true;
  }

  private async sendDelta(
    watched: WatchedType,
    toSend: readonly EncodedResource[],
    removed: readonly string[],
    startedAt: number,
    pushStart?: number,
  ): Promise<void> {
    this.noteClusterChanges(watched, toSend);
    for (const resource of toSend) watched.held.set(resource.name, resource);
    for (const name of removed) watched.held.delete(name);
    const version = watched.heldVersion();
    const nonce = this.context.nextNonce();
    watched.recordSent(nonce, version);
    await this.send(
      watched,
      {
        system_version_info: version,
        resources: toSend.map((r) => ({ name: r.name, version: r.version, resource: r.any })),
        type_url: watched.typeUrl,
        removed_resources: removed,
        nonce,
      },
      startedAt,
      pushStart,
    );
  }
}
