/**
 * The control plane assembled (istiod's discovery server): config store and service registries
 * feed an immutable snapshot; the xDS server's push queue debounces and merges changes and asks
 * this generator for each proxy's resources, which translation derives from the snapshot.
 *
 *   config change  → new snapshot → full push (every type)
 *   service change → new snapshot → full push
 *   endpoints only → new snapshot → EDS-only push for those services' clusters
 *
 * A snapshot is rebuilt synchronously on every change (cheap: it only references the store's
 * and registries' immutable objects); the debounce in the push queue is what protects proxies
 * from bursts.
 */
import type { ConfigStore } from '../config/store/config-store.js';
import type { MeshConfig } from '../model/mesh-config.js';
import { DEFAULT_MESH_CONFIG } from '../model/mesh-config.js';
import { parseProxy, type Proxy } from '../model/proxy.js';
import { buildMeshSnapshot, type MeshSnapshot } from '../model/snapshot.js';
import type { ServiceEndpoint } from '../model/endpoint.js';
import { AggregateRegistry } from '../registry/aggregate-registry.js';
import type { RegistryChange, ServiceRegistry } from '../registry/service-discovery.js';
import { generate } from '../translate/generate.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from '../translate/xds-resource.js';
import { DebugServer } from './debug-server.js';
import type { ConnectedProxy, WatchedNames, XdsGenerator, XdsResource } from './generator.js';
import type { PushRequest } from './push-request.js';
import { XdsServer, type XdsServerOptions } from './xds-server.js';

export interface ControlPlaneOptions {
  readonly store: ConfigStore;
  readonly registries: readonly ServiceRegistry[];
  readonly meshConfig?: MeshConfig;
  readonly log?: (message: string) => void;
  /** Debounce and throttle settings for the push queue (tests shorten them). */
  readonly xds?: Omit<XdsServerOptions, 'generator' | 'log'>;
}

export interface ListenOptions {
  readonly xdsPort?: number;
  readonly xdsHost?: string;
  readonly monitoringPort?: number;
  readonly monitoringHost?: string;
}

export class ControlPlane implements XdsGenerator {
  readonly typeUrls = [CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL];
  readonly xds: XdsServer;
  readonly registry: AggregateRegistry;
  readonly store: ConfigStore;
  private readonly meshConfig: MeshConfig;
  private readonly log: (message: string) => void;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly proxies = new WeakMap<ConnectedProxy, Proxy | string>();
  private debug: DebugServer | undefined;
  private version = 0;
  private current: MeshSnapshot;

  constructor(options: ControlPlaneOptions) {
    this.store = options.store;
    this.meshConfig = options.meshConfig ?? DEFAULT_MESH_CONFIG;
    this.log = options.log ?? (() => {});
    this.registry = new AggregateRegistry(options.registries);
    this.current = this.buildSnapshot();
    const log = this.log;
    this.xds = new XdsServer({ ...options.xds, generator: this, log: { info: log, warn: log } });
    this.unsubscribe.push(
      this.store.subscribe(() => this.onChange({ full: true, reason: ['config'] })),
      this.registry.subscribe((change) => this.onRegistryChange(change)),
    );
  }

  /** The snapshot proxies are being served from now. */
  get snapshot(): MeshSnapshot {
    return this.current;
  }

  async listen(options: ListenOptions = {}): Promise<{ xdsPort: number; monitoringPort: number }> {
    const xdsPort = await this.xds.listen(options.xdsPort ?? 15010, options.xdsHost ?? '127.0.0.1');
    this.debug = new DebugServer(this.xds);
    const monitoringPort = await this.debug.listen(options.monitoringPort ?? 15014, options.monitoringHost ?? '127.0.0.1');
    return { xdsPort, monitoringPort };
  }

  /** The monitoring/debug HTTP server, once listening: embedders mount their own endpoints on it. */
  get debugServer(): DebugServer | undefined {
    return this.debug;
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    await this.debug?.close();
    await this.xds.stop();
  }

  // --- XdsGenerator ---------------------------------------------------------------------
  generate(connected: ConnectedProxy, typeUrl: string, request: PushRequest, watched: WatchedNames): readonly XdsResource[] | 'unchanged' {
    const proxy = this.proxyOf(connected);
    if (typeof proxy === 'string') {
      // A node id Istio would refuse: nothing to serve it (logged once per stream).
      return [];
    }
    // Proxyless gRPC names every resource it wants (its route configs cannot be derived without the names).
    const names = watched.wildcard ? undefined : [...watched.names];
    const resources = generate(this.current, proxy, typeUrl, names);
    if (typeUrl === ENDPOINT_TYPE_URL && !request.full && request.edsUpdates) {
      const changed = request.edsUpdates;
      return resources.filter((r) => changed.has(hostnameOfCluster(r.name)));
    }
    return resources;
  }

  private proxyOf(connected: ConnectedProxy): Proxy | string {
    const cached = this.proxies.get(connected);
    if (cached !== undefined) return cached;
    const parsed = parseProxy(connected.node.id, connected.node.metadata, { meshProxyHttpPort: this.meshConfig.proxyHttpPort ?? 0 });
    const value = parsed.ok ? parsed.proxy : parsed.error;
    if (!parsed.ok) this.log(`xds: cannot serve ${connected.node.id}: ${parsed.error}`);
    this.proxies.set(connected, value);
    return value;
  }

  // --- changes ----------------------------------------------------------------------------
  private onRegistryChange(change: RegistryChange): void {
    if (change.services.length > 0) {
      this.onChange({ full: true, reason: ['service'] });
      return;
    }
    if (change.endpoints.length === 0) return;
    this.onChange({ full: false, reason: ['endpoint'], edsUpdates: new Set(change.endpoints.map((key) => key.hostname)) });
  }

  private onChange(request: PushRequest): void {
    this.current = this.buildSnapshot();
    this.xds.pushAll(request);
  }

  private buildSnapshot(): MeshSnapshot {
    const services = this.registry.services();
    const endpoints = new Map<string, ServiceEndpoint[]>();
    for (const service of services) {
      const list = endpoints.get(service.hostname) ?? [];
      list.push(...this.registry.endpoints(service));
      endpoints.set(service.hostname, list);
    }
    this.version++;
    return buildMeshSnapshot({
      version: `${this.store.revision}-${this.version}`,
      meshConfig: this.meshConfig,
      services,
      endpoints,
      configs: this.store.snapshot().all(),
    });
  }
}

/** `outbound|9080|v1|reviews.default.svc.cluster.local` → `reviews.default.svc.cluster.local`. */
function hostnameOfCluster(name: string): string {
  const parts = name.split('|');
  return parts.length === 4 ? parts[3]! : name;
}
