/**
 * A small state-of-the-world ADS management server for tests: the real
 * AggregatedDiscoveryService over @grpc/grpc-js on loopback. Tests set resources per type as
 * proto3 JSON (decoded strictly, then protobuf-encoded into Anys as a real server sends them);
 * the server answers subscriptions, pushes changes to every stream that asked for the type, and
 * records every request so tests can check ACKs, NACKs and the node.
 */
import * as grpc from '@grpc/grpc-js';
import { adsServiceDefinition } from '../../src/xds/ads-service.js';
import type { DiscoveryRequest__Output } from '../../src/xds/generated/envoy/service/discovery/v3/DiscoveryRequest.js';
import type { DiscoveryResponse } from '../../src/xds/generated/envoy/service/discovery/v3/DiscoveryResponse.js';
import { decodeProtoJson, formatPath } from '../../src/xds/proto-json.js';
import { encodeMessage, lookupMessage, TYPE_URL_PREFIX } from '../../src/xds/protos.js';
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL } from '../../src/xds/type-urls.js';

export { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from '../../src/xds/type-urls.js';

type Call = grpc.ServerDuplexStream<DiscoveryRequest__Output, DiscoveryResponse>;

export interface RecordedRequest {
  /** Which stream (1, 2, ... in connection order) carried it. */
  readonly stream: number;
  readonly request: DiscoveryRequest__Output;
}

interface Encoded {
  readonly name: string;
  readonly any: { type_url: string; value: Buffer };
}

interface StreamState {
  readonly id: number;
  readonly call: Call;
  /** Per type: the names the client asked for last (empty: wildcard) and the nonce last sent. */
  readonly subscriptions: Map<string, { names: string[]; nonce: string }>;
}

const WILDCARD_TYPES = new Set([CLUSTER_TYPE_URL, LISTENER_TYPE_URL]);

export class AdsTestServer {
  readonly requests: RecordedRequest[] = [];
  port = 0;
  private server: grpc.Server | undefined;
  private readonly resources = new Map<string, { version: string; items: Encoded[] }>();
  private readonly streams = new Set<StreamState>();
  private streamCount = 0;
  private nonce = 0;
  private waiters: { match: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }[] = [];

  /** Starts on 127.0.0.1 (port 0: any free port; a given port: the same one again after stop()). */
  async start(port = this.port): Promise<void> {
    const server = new grpc.Server();
    server.addService(adsServiceDefinition() as unknown as grpc.ServiceDefinition, {
      // DeltaAggregatedResources is left out: grpc-js answers it UNIMPLEMENTED.
      StreamAggregatedResources: (call: Call) => this.onStream(call),
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
    this.server = server;
  }

  /** Kills the server and every stream at once, as a crashed control plane would. */
  stop(): void {
    for (const stream of this.streams) stream.call.destroy();
    this.streams.clear();
    this.server?.forceShutdown();
    this.server = undefined;
  }

  get target(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Replaces every resource of a type (proto3 JSON of its message) and pushes them. */
  set(typeUrl: string, version: string, items: readonly object[]): void {
    const typeName = typeUrl.slice(TYPE_URL_PREFIX.length);
    const type = lookupMessage(typeName);
    if (!type) throw new Error(`unknown type ${typeUrl}`);
    const encoded = items.map((json, i) => {
      const decoded = decodeProtoJson<Record<string, unknown>>(typeName, json);
      if (!decoded.ok) {
        throw new Error(`bad test resource ${i}: ${decoded.errors.map((e) => `${formatPath(e.path)}: ${e.message}`).join('; ')}`);
      }
      const name = String(decoded.value.name ?? decoded.value.cluster_name);
      return { name, any: { type_url: typeUrl, value: Buffer.from(encodeMessage(type, decoded.value)) } };
    });
    this.resources.set(typeUrl, { version, items: encoded });
    for (const stream of this.streams) if (stream.subscriptions.has(typeUrl)) this.send(stream, typeUrl);
  }

  /** Requests of a type, optionally only ACKs (no error_detail, a nonce) or NACKs. */
  requestsOf(typeUrl: string, kind: 'all' | 'ack' | 'nack' = 'all'): DiscoveryRequest__Output[] {
    return this.requests
      .map((r) => r.request)
      .filter((r) => r.type_url === typeUrl)
      .filter((r) =>
        kind === 'all' ? true : kind === 'nack' ? r.error_detail !== null : r.error_detail === null && r.response_nonce !== '',
      );
  }

  /** The first recorded request (from now or earlier) that matches, within `timeoutMs`. */
  waitFor(match: (r: RecordedRequest) => boolean, timeoutMs = 5000, what = 'request'): Promise<RecordedRequest> {
    const found = this.requests.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.requests.map(summary))}`));
      }, timeoutMs);
      const done = (r: RecordedRequest) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  /** Waits for the ACK of `version` of a type. */
  waitForAck(typeUrl: string, version: string, timeoutMs = 5000): Promise<RecordedRequest> {
    return this.waitFor(
      (r) => r.request.type_url === typeUrl && r.request.version_info === version && r.request.error_detail === null && r.request.response_nonce !== '',
      timeoutMs,
      `ACK of ${typeUrl.split('.').pop()} ${version}`,
    );
  }

  private onStream(call: Call): void {
    const stream: StreamState = { id: ++this.streamCount, call, subscriptions: new Map() };
    this.streams.add(stream);
    call.on('data', (request: DiscoveryRequest__Output) => this.onRequest(stream, request));
    call.on('error', () => this.streams.delete(stream));
    call.on('end', () => {
      this.streams.delete(stream);
      call.end();
    });
  }

  private onRequest(stream: StreamState, request: DiscoveryRequest__Output): void {
    const recorded = { stream: stream.id, request };
    this.requests.push(recorded);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(recorded)) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(recorded);
      }
    }
    const type = request.type_url;
    const previous = stream.subscriptions.get(type);
    // A response to a nonce we did not send last is stale: ignore it (xDS protocol).
    if (previous && request.response_nonce !== '' && request.response_nonce !== previous.nonce) return;
    const names = [...request.resource_names].sort();
    const namesChanged = !previous || previous.names.join('\n') !== names.join('\n');
    stream.subscriptions.set(type, { names, nonce: previous?.nonce ?? '' });
    const current = this.resources.get(type);
    // Answer a new subscription, a changed interest, or a client behind the current version.
    if (current && (namesChanged || (request.response_nonce === '' && request.version_info !== current.version))) {
      this.send(stream, type);
    }
  }

  private send(stream: StreamState, typeUrl: string): void {
    const current = this.resources.get(typeUrl);
    const subscription = stream.subscriptions.get(typeUrl);
    if (!current || !subscription) return;
    const wanted = new Set(subscription.names);
    const items = WILDCARD_TYPES.has(typeUrl) ? current.items : current.items.filter((r) => wanted.has(r.name));
    if (!WILDCARD_TYPES.has(typeUrl) && items.length === 0) return;
    subscription.nonce = String(++this.nonce);
    stream.call.write({
      version_info: current.version,
      type_url: typeUrl,
      nonce: subscription.nonce,
      resources: items.map((r) => r.any),
    });
  }
}

function summary(r: RecordedRequest): string {
  const q = r.request;
  return `#${r.stream} ${q.type_url.split('.').pop()} v=${q.version_info} n=${q.response_nonce} names=${q.resource_names.join('|')}${q.error_detail ? ' NACK' : ''}`;
}
