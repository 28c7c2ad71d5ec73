/**
 * The control plane assembled (istiod's discovery server): config store and service registries
 * feed an immutable snapshot; the xDS server's push queue debounces and merges changes and asks
 * this generator for each proxy's resources, which translation derives from the snapshot.
 *
 *   config change  → new snapshot → full push (the types the changed kinds can affect)
 *   service change → new snapshot → full push
 *   endpoints only → new snapshot → EDS-only push for those services' clusters
 *
 * A snapshot is rebuilt synchronously on every change, but only the part the change touched: a
 * config change takes the store's config and keeps the services and endpoints; an endpoints
 * change asks the registry again only for the services that changed and keeps every other
 * list (and the config) as the same objects, so translation reuses the indexes it derived
 * from them. The debounce in the push queue is what protects proxies from bursts.
 */
import type { ConfigChangeBatch, ConfigStore } from '../config/store/config-store.js';
import type { MeshConfig } from '../model/mesh-config.js';
import { DEFAULT_MESH_CONFIG } from '../model/mesh-config.js';
import { parseProxy, type Proxy } from '../model/proxy.js';
import { buildMeshSnapshot, configListOf, type MeshSnapshot } from '../model/snapshot.js';
import type { ServiceEndpoint } from '../model/endpoint.js';
import type { Service } from '../model/service.js';
import { AggregateRegistry } from '../registry/aggregate-registry.js';
import type { RegistryChange, ServiceKey, ServiceRegistry } from '../registry/service-discovery.js';
import { configChangeAffects } from '../translate/dependencies.js';
import { generate } from '../translate/generate.js';
import { parseSubsetKey } from '../translate/names.js';
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
    this.current = this.buildSnapshot({ kind: 'all' });
    const log = this.log;
    this.xds = new XdsServer({ ...options.xds, generator: this, log: { info: log, warn: log } });
    this.unsubscribe.push(
      this.store.subscribe((batch) =>
        this.onChange({ kind: 'config' }, { full: true, reason: ['config'], configsUpdated: changedKinds(batch) }),
      ),
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
    if (typeUrl === ENDPOINT_TYPE_URL && !request.full && request.edsUpdates) {
      // An endpoints push: only the subscribed ClusterLoadAssignments of the changed services.
      const affected = affectedClusters(request.edsUpdates);
      if (watched.wildcard) return generate(this.current, proxy, typeUrl).filter((r) => affected(r.name));
      const names = [...watched.names].filter(affected);
      return names.length === 0 ? 'unchanged' : generate(this.current, proxy, typeUrl, names);
    }
    // A config change to kinds this type does not read leaves it as the proxy has it (Istio's cdsNeedsPush, ...).
    if (request.full && request.configsUpdated && !configChangeAffects(typeUrl, request.configsUpdated)) return 'unchanged';
    // Proxyless gRPC names every resource it wants (its route configs cannot be derived without the names).
    const names = watched.wildcard ? undefined : [...watched.names];
    return generate(this.current, proxy, typeUrl, names);
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
      this.onChange({ kind: 'all' }, { full: true, reason: ['service'] });
      return;
    }
    if (change.endpoints.length === 0) return;
    this.onChange(
      { kind: 'endpoints', services: change.endpoints },
      { full: false, reason: ['endpoint'], edsUpdates: new Set(change.endpoints.map((key) => key.hostname)) },
    );
  }

  private onChange(change: SnapshotChange, request: PushRequest): void {
    this.current = this.buildSnapshot(change);
    this.xds.pushAll(request);
  }

  private buildSnapshot(change: SnapshotChange): MeshSnapshot {
    this.version++;
    const version = `${this.store.revision}-${this.version}`;
    const previous = this.current as MeshSnapshot | undefined;
    if (previous && change.kind === 'config') {
      const { configs } = buildMeshSnapshot({ version, configs: this.store.snapshot().all() });
      return Object.freeze({ ...previous, version, configs });
    }
    if (previous && change.kind === 'endpoints') {
      const hostnames = new Set(change.services.map((key) => key.hostname));
      const endpoints = new Map(previous.endpoints);
      const lists = this.endpointsByHostname(this.registry.services().filter((s) => hostnames.has(s.hostname)));
      for (const hostname of hostnames) {
        const list = lists.get(hostname);
        if (list) endpoints.set(hostname, Object.freeze(list));
        else endpoints.delete(hostname);
      }
      return Object.freeze({ ...previous, version, endpoints });
    }
    const services = this.registry.services();
    const endpoints = this.endpointsByHostname(services);
    return buildMeshSnapshot({ version, meshConfig: this.meshConfig, services, endpoints, configs: this.store.snapshot().all() });
  }

  /** Endpoints by hostname: one list holds every namespace's service of that name, in the registry's order. */
  private endpointsByHostname(services: readonly Service[]): Map<string, ServiceEndpoint[]> {
    const lists = new Map<string, ServiceEndpoint[]>();
    for (const service of services) {
      const list = lists.get(service.hostname) ?? [];
      list.push(...this.registry.endpoints(service));
      lists.set(service.hostname, list);
    }
    return lists;
  }
}

/**
 * What a snapshot rebuild must refresh: everything (startup, services changed), the config
 * (store change), or the endpoints of some services.
 */
type SnapshotChange = { readonly kind: 'all' } | { readonly kind: 'config' } | { readonly kind: 'endpoints'; readonly services: readonly ServiceKey[] };

/** The config kinds a batch touched: `MeshConfigs` list names, or `group/kind` for kinds translation does not read. */
function changedKinds(batch: ConfigChangeBatch): Set<string> {
  return new Set(batch.changes.map((c) => configListOf(c.resource) ?? `${c.resource.group}/${c.resource.kind}`));
}

const affectedByUpdates = new WeakMap<ReadonlySet<string>, Map<string, boolean>>();

/**
 * Whether an endpoints push covers a cluster (`edsUpdates` holds hostnames or cluster names).
 * Every proxy of a push asks about the same names, so answers are kept per update set.
 */
function affectedClusters(updates: ReadonlySet<string>): (clusterName: string) => boolean {
  let answers = affectedByUpdates.get(updates);
  if (!answers) affectedByUpdates.set(updates, (answers = new Map()));
  const known = answers;
  return (name) => {
    let answer = known.get(name);
    if (answer === undefined) known.set(name, (answer = updates.has(name) || updates.has(parseSubsetKey(name)?.hostname ?? name)));
    return answer;
  };
}
