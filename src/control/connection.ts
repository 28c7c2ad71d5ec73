/**
 * One ADS stream from one proxy: what it watches, and the serial work on it. Requests and
 * pushes run one at a time in arrival order (as Istio's per-connection loop does), so two
 * responses of the same type never interleave and an ACK is always matched against the nonce
 * that was really sent last. The SotW and delta subclasses decide what goes in a response.
 */
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { Node__Output } from '../xds/generated/envoy/config/core/v3/Node.js';
import type { EncodedResource } from '../xds/resource-encoding.js';
import { metricTypeOf, PUSH_ORDER } from '../xds/type-rules.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL } from '../xds/type-urls.js';
import type { ConnectedProxy } from './generator.js';
import { proxyNodeOf } from './proxy-node.js';
import type { PushRequest } from './push-request.js';
import type { ServerContext } from './server-context.js';
import type { WatchedType } from './watched-type.js';

/** The request a proxy's own DiscoveryRequest stands for (Istio's `ProxyRequest` trigger). */
export const PROXY_REQUEST: PushRequest = { full: true, reason: ['proxyrequest'] };

export interface GeneratedResources {
  /** Valid resources the subscription covers, by name. */
  readonly resources: Map<string, EncodedResource>;
  /** Names whose resource failed to encode: never sent, and never treated as removed. */
  readonly failed: ReadonlySet<string>;
}

export type AdsStream = grpc.ServerDuplexStream<object, object>;

export abstract class XdsConnection {
  constructor(context: ServerContext, stream: AdsStream, protocol: 'sotw' | 'delta') {
    this.context = context;
    this.stream = stream;
    this.protocol = protocol;
  }

  protected readonly context: ServerContext;
  protected readonly stream: AdsStream;
  readonly protocol: 'sotw' | 'delta';
  proxy: ConnectedProxy | undefined;
  readonly watched = new Map<string, WatchedType>();
  closed = false;

  private chain: Promise<void> = Promise.resolve();
  private readonly closeWaiters = new Set<() => void>();
  /** Clusters whose CDS resource changed since EDS was last sent: Envoy re-warms them and waits for a ClusterLoadAssignment. */
  private readonly clustersChanged = new Set<string>();
  /** A push waiting for the proxy's ACKs, for `skein_proxy_ack_convergence_time`. */
  private ackWait: { start: number; types: Set<string> } | undefined;
  private readonly ignoredTypes = new Set<string>();

  /** Starts reading requests; the first must carry the node. */
  start(): void {
    this.stream.on('data', (request: object) => void this.enqueue(() => this.onRequest(request)));
    this.stream.on('end', () => {
      this.close();
      this.stream.end();
    });
    this.stream.on('error', (err: Error) => {
      this.context.log.info(`ADS: ${this.describe()} terminated: ${err.message}`);
      this.close();
    });
    this.stream.on('cancelled', () => this.close());
    this.stream.on('close', () => this.close());
  }

  /** Queues a push; resolves when it is sent (or skipped because the stream closed). */
  push(request: PushRequest): Promise<void> {
    return this.enqueue(() => this.pushNow(request));
  }

  /** Ends the stream with a status (e.g. UNAVAILABLE when the server stops) so the proxy reconnects. */
  terminate(code: grpc.status, details: string): void {
    if (this.closed) return;
    this.close();
    this.stream.emit('error', Object.assign(new Error(details), { code, details }));
  }

  protected abstract handleRequest(request: object): Promise<void>;

  /** Pushes one type; returns whether a response was sent. */
  protected abstract pushType(watched: WatchedType, request: PushRequest): Promise<boolean>;

  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.chain.then(async () => {
      if (!this.closed) await task();
    });
    this.chain = next.catch((err: unknown) => {
      this.context.metrics.internalErrors.inc();
      this.context.log.warn(`ADS: ${this.describe()}: internal error: ${(err as Error).stack ?? String(err)}`);
    });
    return this.chain;
  }

  private async onRequest(message: object): Promise<void> {
    const request = message as { node: Node__Output | null; type_url: string };
    if (!this.proxy) {
      // Only the first request of a stream is guaranteed to carry the node (xds_protocol#basic-protocol-overview).
      if (!request.node || request.node.id === '') {
        this.context.log.warn(`ADS: ${this.stream.getPeer()}: first request has no node id; closing the stream`);
        this.terminate(grpc.status.INVALID_ARGUMENT, 'missing node information');
        return;
      }
      this.proxy = {
        connectionId: this.context.nextConnectionId(request.node.id),
        node: proxyNodeOf(request.node),
        peer: this.stream.getPeer(),
        protocol: this.protocol,
        connectedAt: new Date(),
      };
      this.context.connected(this);
      this.context.log.info(`ADS: new ${this.protocol} connection for node:${this.proxy.connectionId}`);
    }
    if (request.type_url === '') {
      this.terminate(grpc.status.INVALID_ARGUMENT, 'type URL is required for ADS');
      return;
    }
    if (!this.context.generator.typeUrls.includes(request.type_url)) {
      if (!this.ignoredTypes.has(request.type_url)) {
        this.ignoredTypes.add(request.type_url);
        this.context.log.warn(`ADS: ${this.describe()}: ignoring requests for unsupported type ${request.type_url}`);
      }
      return;
    }
    await this.handleRequest(message);
  }

  private async pushNow(request: PushRequest): Promise<void> {
    if (!this.proxy) return;
    const types = request.full ? this.typesInPushOrder() : [ENDPOINT_TYPE_URL];
    let sent = false;
    for (const typeUrl of types) {
      const watched = this.watched.get(typeUrl);
      if (!watched || this.closed) continue;
      if (await this.pushType(watched, request)) sent = true;
    }
    if (sent && request.start !== undefined) {
      this.context.metrics.convergenceTime.observe((performance.now() - request.start) / 1000);
    }
  }

  private typesInPushOrder(): string[] {
    const ordered = PUSH_ORDER.filter((t) => this.watched.has(t));
    for (const t of this.watched.keys()) if (!PUSH_ORDER.includes(t)) ordered.push(t);
    return ordered;
  }

  /** Asks the generator for one type, keeps what the subscription covers, and encodes it. */
  protected generate(watched: WatchedType, request: PushRequest): GeneratedResources | undefined {
    const { generator, encoder } = this.context;
    let output;
    try {
      output = generator.generate(this.proxy!, watched.typeUrl, request, watched);
    } catch (err) {
      this.context.metrics.internalErrors.inc();
      this.context.log.warn(
        `ADS:${metricTypeOf(watched.typeUrl).toUpperCase()}: generator failed for ${this.describe()}: ${(err as Error).stack ?? String(err)}`,
      );
      return undefined;
    }
    if (output === 'unchanged') return undefined;
    const resources = new Map<string, EncodedResource>();
    const failed = new Set<string>();
    for (const resource of output) {
      if (!watched.covers(resource.name)) continue;
      if (resources.has(resource.name) || failed.has(resource.name)) {
        // A response must not name a resource twice (xds_protocol#duplicate-resource-names).
        this.context.reportResourceError(watched.typeUrl, `duplicate resource name '${resource.name}'`);
        continue;
      }
      const result = encoder.encode(watched.typeUrl, resource);
      if (result.ok) {
        resources.set(resource.name, result.encoded);
      } else {
        failed.add(resource.name);
        this.context.reportResourceError(watched.typeUrl, result.error);
      }
    }
    return { resources, failed };
  }

  /** Records which clusters changed (before `held` is updated) so the next EDS response covers them. */
  protected noteClusterChanges(watched: WatchedType, sent: Iterable<EncodedResource>): void {
    if (watched.typeUrl !== CLUSTER_TYPE_URL) return;
    for (const resource of sent) {
      if (watched.held.get(resource.name)?.version !== resource.version) this.clustersChanged.add(resource.name);
    }
  }

  /** Cluster names EDS must send now even if their endpoints did not change (Envoy's cluster warming). */
  protected takeForcedEndpoints(watched: WatchedType): Set<string> {
    const forced = new Set<string>();
    if (watched.typeUrl !== ENDPOINT_TYPE_URL) return forced;
    for (const name of this.clustersChanged) if (watched.covers(name)) forced.add(name);
    this.clustersChanged.clear();
    return forced;
  }

  /** Writes one response and records the push metrics; `pushStart` ties it to a config change. */
  protected async send(watched: WatchedType, response: object, startedAt: number, pushStart?: number): Promise<void> {
    const type = metricTypeOf(watched.typeUrl);
    if (pushStart !== undefined) {
      if (!this.ackWait) this.ackWait = { start: pushStart, types: new Set() };
      this.ackWait.start = Math.min(this.ackWait.start, pushStart);
      this.ackWait.types.add(watched.typeUrl);
    }
    const writeStart = performance.now();
    const ok = await this.write(response);
    const now = performance.now();
    this.context.metrics.sendTime.observe((now - writeStart) / 1000);
    if (ok) {
      this.context.metrics.pushes.inc({ type });
      this.context.metrics.pushTime.observe((now - startedAt) / 1000, { type });
    } else {
      this.context.metrics.pushes.inc({ type: `${type}_senderr` });
    }
  }

  /** An ACK of the last nonce sent for a type. */
  protected noteAck(watched: WatchedType): void {
    const wait = this.ackWait;
    if (!wait || !wait.types.delete(watched.typeUrl) || wait.types.size > 0) return;
    this.context.metrics.ackConvergenceTime.observe((performance.now() - wait.start) / 1000);
    this.ackWait = undefined;
  }

  /** A NACK: the pushed config did not converge, so its convergence is not measured. */
  protected noteNack(): void {
    this.ackWait = undefined;
  }

  protected logNack(watched: WatchedType, code: number, message: string, stale: boolean): void {
    this.context.metrics.rejects.inc({ type: metricTypeOf(watched.typeUrl) });
    this.context.log.warn(
      `ADS:${metricTypeOf(watched.typeUrl).toUpperCase()}: ACK ERROR ${this.describe()} ${grpc.status[code] ?? code}:${message}${stale ? ' (for an expired nonce)' : ''}`,
    );
  }

  protected noteExpiredNonce(watched: WatchedType): void {
    this.context.metrics.expiredNonce.inc({ type: metricTypeOf(watched.typeUrl) });
  }

  private write(response: object): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onClose = () => resolve(false);
      this.closeWaiters.add(onClose);
      this.stream.write(response, (err?: Error | null) => {
        this.closeWaiters.delete(onClose);
        resolve(!err);
      });
    });
  }

  protected describe(): string {
    return this.proxy?.connectionId ?? this.stream.getPeer();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const waiter of this.closeWaiters) waiter();
    this.closeWaiters.clear();
    this.context.disconnected(this);
  }
}
