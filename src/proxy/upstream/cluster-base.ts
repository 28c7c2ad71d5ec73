/**
 * What every cluster type shares: its settings, stats, circuit breakers, priority set and load
 * balancer, the host membership update (hosts matched by address keep their identity and
 * pools; removed hosts' pools drain), health-driven rebalancing, and the init (warming) state.
 * Subclasses only decide where hosts come from.
 */
import type { Cluster__Output } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';
import type { ClusterSettings } from './cluster-config.js';
import type { ClusterStats } from './cluster-stats.js';
import { type ConnectFn, HostConnectionPool, type PoolSettings } from './conn-pool.js';
import type { DnsResolver } from './dns.js';
import { type HostSpec, hostKey, UpstreamHost } from './host.js';
import type { LoadBalancer, Random } from './lb.js';
import { lookupLoadBalancer } from './lb-registry.js';
import type { PrioritizedLocality } from './load-assignment.js';
import { PrioritySet } from './priority-set.js';
import type { ResourceManagers } from './resource-manager.js';
import type { LbContext, UpstreamCluster } from './types.js';

export interface ClusterDeps {
  readonly stats: ClusterStats;
  readonly resources: ResourceManagers;
  readonly resolver: DnsResolver;
  readonly connect: ConnectFn;
  readonly random: Random;
}

export interface Membership {
  readonly hosts: readonly HostSpec[];
  readonly localities: readonly PrioritizedLocality[];
  readonly overprovisioningFactor: number;
  readonly weightedPriorityHealth: boolean;
}

export abstract class ClusterBase implements UpstreamCluster {
  readonly name: string;
  readonly config: Cluster__Output;
  readonly settings: ClusterSettings;
  readonly stats: ClusterStats;
  readonly resources: ResourceManagers;
  readonly prioritySet = new PrioritySet();
  protected readonly deps: ClusterDeps;
  protected readonly poolSettings: PoolSettings;
  protected lb: LoadBalancer | undefined;
  private hostsByKey = new Map<string, UpstreamHost>();
  private lastShape = '';
  private isInitialized = false;
  private resolveInit: () => void = () => {};
  private readonly initPromise: Promise<void>;
  private active = true;

  constructor(config: Cluster__Output, settings: ClusterSettings, deps: ClusterDeps) {
    this.name = settings.name;
    this.config = config;
    this.settings = settings;
    this.deps = deps;
    this.stats = deps.stats;
    this.resources = deps.resources;
    this.initPromise = new Promise((resolve) => {
      this.resolveInit = resolve;
    });
    this.poolSettings = {
      connectTimeoutMs: settings.connectTimeoutMs,
      idleTimeoutMs: settings.idleTimeoutMs,
      maxRequestsPerConnection: settings.maxRequestsPerConnection,
      stats: deps.stats,
      resources: deps.resources.default,
      connect: deps.connect,
    };
    const factory = lookupLoadBalancer(settings.lbPolicy);
    this.lb = factory?.create({
      prioritySet: this.prioritySet,
      config,
      stats: deps.stats,
      random: deps.random,
      panicThreshold: settings.panicThreshold,
      localityWeighted: settings.localityWeighted,
    });
  }

  get connectTimeoutMs(): number {
    return this.settings.connectTimeoutMs;
  }

  get originalDstHeaderName(): string | undefined {
    return this.settings.originalDstHeaderName;
  }

  get initialized(): boolean {
    return this.isInitialized;
  }

  /** Resolves once the cluster has its first hosts (or gave up waiting for them). */
  whenInitialized(): Promise<void> {
    return this.initPromise;
  }

  /** Starts discovery (DNS queries, timers). */
  abstract start(): void;

  /** Stops discovery timers; subclasses extend. Anyone waiting for init stops waiting. */
  protected stop(): void {
    this.active = false;
    this.resolveInit();
  }

  protected get running(): boolean {
    return this.active;
  }

  chooseHost(context: LbContext): UpstreamHost | undefined {
    return this.lb?.chooseHost(context);
  }

  hosts(): readonly UpstreamHost[] {
    return this.prioritySet.allHosts();
  }

  /** Replaced or removed: stop discovery, close idle connections, let in-flight ones finish. */
  drain(): void {
    this.stop();
    this.lb?.destroy();
    for (const host of this.hostsByKey.values()) host.pool.drain();
  }

  /** Shutdown: stop discovery and destroy every connection. */
  close(): void {
    this.stop();
    this.lb?.destroy();
    for (const host of this.hostsByKey.values()) host.pool.close();
  }

  protected markInitialized(): void {
    if (this.isInitialized) return;
    this.isInitialized = true;
    this.resolveInit();
  }

  protected createHost(spec: HostSpec): UpstreamHost {
    const host = new UpstreamHost(spec, (h) => new HostConnectionPool(h, this.poolSettings));
    host.onHealthChange = (h) => this.onHostHealthChange(h);
    return host;
  }

  /**
   * Makes `membership` the cluster's hosts. Returns false (and rebuilds nothing) when nothing
   * changed, as Envoy's updateDynamicHostList does for an identical DNS or EDS answer.
   */
  protected updateMembership(membership: Membership): boolean {
    const next = new Map<string, UpstreamHost>();
    let changed = false;
    for (const spec of membership.hosts) {
      const key = hostKey(spec.address, spec.port);
      if (next.has(key)) continue; // one host per address
      const existing = this.hostsByKey.get(key);
      if (existing) {
        if (existing.update(spec)) changed = true;
        next.set(key, existing);
      } else {
        next.set(key, this.createHost(spec));
        changed = true;
      }
    }
    for (const [key, host] of this.hostsByKey) {
      if (next.has(key)) continue;
      changed = true;
      host.onHealthChange = undefined;
      host.pool.drain();
    }
    this.hostsByKey = next;

    const shape = JSON.stringify([
      membership.localities,
      membership.overprovisioningFactor,
      membership.weightedPriorityHealth,
    ]);
    if (!changed && shape === this.lastShape) return false;
    this.lastShape = shape;

    const hosts = [...next.values()];
    let maxPriority = Math.max(0, this.prioritySet.hostSets.length - 1);
    for (const h of hosts) maxPriority = Math.max(maxPriority, h.priority);
    for (const l of membership.localities) maxPriority = Math.max(maxPriority, l.priority);
    for (let p = 0; p <= maxPriority; p++) {
      this.prioritySet.getOrCreate(p).update(
        hosts.filter((h) => h.priority === p),
        membership.localities.filter((l) => l.priority === p),
        membership.overprovisioningFactor,
        membership.weightedPriorityHealth,
      );
    }
    this.stats.membership_change.inc();
    this.publishMembership();
    this.prioritySet.notify();
    return true;
  }

  /** Adds one host to priority 0 (ORIGINAL_DST). */
  protected addHost(host: UpstreamHost): void {
    this.hostsByKey.set(host.key, host);
    const set = this.prioritySet.getOrCreate(0);
    set.update([...set.hosts, host], [], set.overprovisioningFactor, set.weightedPriorityHealth);
    this.stats.membership_change.inc();
    this.publishMembership();
    this.prioritySet.notify();
  }

  /** Removes hosts of priority 0 (ORIGINAL_DST cleanup); their pools drain. */
  protected removeHosts(hosts: readonly UpstreamHost[]): void {
    if (hosts.length === 0) return;
    const gone = new Set(hosts);
    for (const host of hosts) {
      this.hostsByKey.delete(host.key);
      host.onHealthChange = undefined;
      host.pool.drain();
    }
    const set = this.prioritySet.getOrCreate(0);
    set.update(
      set.hosts.filter((h) => !gone.has(h)),
      [],
      set.overprovisioningFactor,
      set.weightedPriorityHealth,
    );
    this.stats.membership_change.inc();
    this.publishMembership();
    this.prioritySet.notify();
  }

  protected hostByKey(key: string): UpstreamHost | undefined {
    return this.hostsByKey.get(key);
  }

  private onHostHealthChange(host: UpstreamHost): void {
    this.prioritySet.hostSets[host.priority]?.partition();
    this.publishMembership();
    this.prioritySet.notify();
  }

  private publishMembership(): void {
    if (!this.active) return; // a drained cluster no longer speaks for the cluster's stats
    const hosts = this.prioritySet.allHosts();
    this.stats.membership_total.set(hosts.length);
    this.stats.membership_healthy.set(hosts.filter((h) => h.coarseHealth === 'healthy').length);
    this.stats.membership_degraded.set(hosts.filter((h) => h.coarseHealth === 'degraded').length);
    this.stats.membership_excluded.set(0);
    this.stats.max_host_weight.set(hosts.reduce((max, h) => Math.max(max, h.weight), 0));
  }
}
