/**
 * The control plane's xDS server: `envoy.service.discovery.v3.AggregatedDiscoveryService` with
 * state-of-the-world and delta streams on one gRPC server, fed by an `XdsGenerator`.
 *
 *   pushAll(request) → debounce (merge) → generator.prepare → push queue (one pending push per
 *   proxy, throttled) → per connection: CDS, EDS, LDS, RDS, others (only EDS for endpoint pushes)
 *
 * Defaults are istiod's: xDS on 15010 (plaintext), PILOT_DEBOUNCE_AFTER 100 ms,
 * PILOT_DEBOUNCE_MAX 10 s, PILOT_PUSH_THROTTLE 100.
 */
import * as grpc from '@grpc/grpc-js';
import { adsServiceDefinition } from '../xds/ads-service.js';
import { ResourceEncoder } from '../xds/resource-encoding.js';
import { metricTypeOf } from '../xds/type-rules.js';
import type { AdsStream, XdsConnection } from './connection.js';
import { configDumpOf } from './config-dump.js';
import { DEFAULT_DEBOUNCE_AFTER_MS, DEFAULT_DEBOUNCE_MAX_MS, Debouncer } from './debounce.js';
import { DeltaConnection } from './delta-connection.js';
import type { XdsGenerator } from './generator.js';
import { ControlPlaneMetrics } from './metrics.js';
import type { PushRequest } from './push-request.js';
import { DEFAULT_PUSH_THROTTLE, PushQueue } from './push-queue.js';
import type { ServerContext, XdsLogger } from './server-context.js';
import { SotwConnection } from './sotw-connection.js';
import type { ProxySyncStatus } from './sync-status.js';
import { istioProxyId, syncStatusOf } from './sync-status.js';

export type { XdsLogger } from './server-context.js';

export const DEFAULT_XDS_PORT = 15010;

export interface XdsServerOptions {
  readonly generator: XdsGenerator;
  /** Quiet period before a push (PILOT_DEBOUNCE_AFTER). */
  readonly debounceAfterMs?: number;
  /** Longest a change waits for quiet (PILOT_DEBOUNCE_MAX). */
  readonly debounceMaxMs?: number;
  /** Concurrent proxy pushes (PILOT_PUSH_THROTTLE). */
  readonly pushThrottle?: number;
  readonly log?: XdsLogger;
  /** Bound on the encoded-resource cache (bytes). */
  readonly maxCachedBytes?: number;
}

const stderrLog: XdsLogger = {
  info: (message) => process.stderr.write(`skein control: ${message}\n`),
  warn: (message) => process.stderr.write(`skein control: ${message}\n`),
};

export class XdsServer {
  constructor(options: XdsServerOptions) {
    this.generator = options.generator;
    this.log = options.log ?? stderrLog;
    this.encoder = new ResourceEncoder(
      options.maxCachedBytes !== undefined ? { maxCachedBytes: options.maxCachedBytes } : {},
    );
    this.debouncer = new Debouncer({
      afterMs: options.debounceAfterMs ?? DEFAULT_DEBOUNCE_AFTER_MS,
      maxMs: options.debounceMaxMs ?? DEFAULT_DEBOUNCE_MAX_MS,
      flush: (request, debouncedMs, events) => this.startPush(request, debouncedMs, events),
    });
    this.queue = new PushQueue<XdsConnection>({
      throttle: options.pushThrottle ?? DEFAULT_PUSH_THROTTLE,
      push: (connection, request) => connection.push(request),
      dequeued: (waitedMs) => this.metrics.queueTime.observe(waitedMs / 1000),
    });
    this.context = this.makeContext();
  }

  readonly metrics = new ControlPlaneMetrics();
  readonly encoder: ResourceEncoder;
  private readonly generator: XdsGenerator;
  private readonly log: XdsLogger;
  private readonly debouncer: Debouncer;
  private readonly queue: PushQueue<XdsConnection>;
  private readonly context: ServerContext;
  private readonly live = new Set<XdsConnection>();
  private readonly streams = new Set<XdsConnection>();
  private server: grpc.Server | undefined;
  private nonceCounter = 0;
  private connectionCounter = 0;
  private reportedErrors = new Set<string>();

  /** Starts serving ADS; resolves with the bound port (pass 0 for an ephemeral one). */
  async listen(port = DEFAULT_XDS_PORT, host = '0.0.0.0'): Promise<number> {
    const server = new grpc.Server();
    server.addService(adsServiceDefinition() as unknown as grpc.ServiceDefinition, {
      StreamAggregatedResources: (stream: AdsStream) => this.accept(new SotwConnection(this.context, stream, 'sotw')),
      DeltaAggregatedResources: (stream: AdsStream) => this.accept(new DeltaConnection(this.context, stream, 'delta')),
    });
    const bound = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      );
    });
    this.server = server;
    return bound;
  }

  /**
   * Asks for a push to every connected proxy. Requests are debounced and merged; a non-full
   * request (endpoint change) pushes only EDS for `edsUpdates`.
   */
  pushAll(request: PushRequest): void {
    for (const reason of request.reason) this.metrics.pushTriggers.inc({ type: reason });
    this.debouncer.add(request);
  }

  /** Proxies with an initialized stream. */
  connections(): readonly XdsConnection[] {
    return [...this.live];
  }

  /** `/debug/syncz`: one entry per connected proxy. */
  syncStatus(): ProxySyncStatus[] {
    const out: ProxySyncStatus[] = [];
    for (const connection of this.live) {
      const status = syncStatusOf(connection);
      if (status) out.push(status);
    }
    return out.sort((a, b) => a.proxy.localeCompare(b.proxy));
  }

  /** `/debug/config_dump?proxyID=`: by node id, Istio proxy id or connection id. */
  configDump(proxyId: string): object | undefined {
    for (const connection of this.live) {
      const proxy = connection.proxy!;
      if (proxy.node.id === proxyId || proxy.connectionId === proxyId || istioProxyId(proxy.node.id) === proxyId) {
        return configDumpOf(connection);
      }
    }
    return undefined;
  }

  /**
   * Stops serving: pending pushes are dropped and every stream ends with UNAVAILABLE, so
   * proxies keep their config and reconnect (to this server when it returns, or another).
   */
  async stop(): Promise<void> {
    this.debouncer.stop();
    for (const connection of this.streams) connection.terminate(grpc.status.UNAVAILABLE, 'control plane shutting down');
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private accept(connection: XdsConnection): void {
    this.streams.add(connection);
    connection.start();
  }

  private startPush(request: PushRequest, debouncedMs: number, events: number): void {
    this.metrics.debounceTime.observe(debouncedMs / 1000);
    this.reportedErrors = new Set();
    this.log.info(
      `Push debounce stable ${events} for reason ${request.reason.join(',')}: ${Math.round(debouncedMs)}ms since first change, full=${request.full}`,
    );
    try {
      this.generator.prepare?.(request);
    } catch (err) {
      this.metrics.internalErrors.inc();
      this.log.warn(`push preparation failed: ${(err as Error).stack ?? String(err)}`);
      return;
    }
    for (const connection of this.live) this.queue.enqueue(connection, request);
  }

  private makeContext(): ServerContext {
    return {
      generator: this.generator,
      encoder: this.encoder,
      metrics: this.metrics,
      log: this.log,
      nextNonce: () => (++this.nonceCounter).toString(36),
      nextConnectionId: (nodeId) => `${nodeId}-${++this.connectionCounter}`,
      connected: (connection) => {
        this.live.add(connection);
        this.metrics.xdsClients.add(1, { version: versionLabel(connection) });
      },
      disconnected: (connection) => {
        this.streams.delete(connection);
        if (!this.live.delete(connection)) return;
        this.queue.remove(connection);
        this.metrics.xdsClients.add(-1, { version: versionLabel(connection) });
        this.log.info(`ADS: ${connection.proxy?.connectionId} terminated`);
      },
      reportResourceError: (typeUrl, error) => {
        // Once per distinct error and push, not once per proxy that would have received it.
        const key = `${typeUrl}\n${error}`;
        if (this.reportedErrors.has(key)) return;
        this.reportedErrors.add(key);
        this.metrics.internalErrors.inc();
        this.log.warn(`ADS:${metricTypeOf(typeUrl).toUpperCase()}: not sending an invalid resource (generator bug): ${error}`);
      },
    };
  }
}

/** `pilot_xds{version}`: Istio labels connected proxies with their ISTIO_VERSION. */
function versionLabel(connection: XdsConnection): string {
  const node = connection.proxy?.node;
  const version = node?.metadata['ISTIO_VERSION'];
  return typeof version === 'string' ? version : node?.userAgentVersion || 'unknown';
}
