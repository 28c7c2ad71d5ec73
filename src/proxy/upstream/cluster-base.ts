/**
 * What every cluster type shares: its settings, stats, circuit breakers, priority set and load
 * balancer, the host membership update (hosts matched by address keep their identity and
 * pools; removed hosts' pools drain), outlier detection and active health checking of its
 * hosts, health-driven rebalancing, and the init (warming) state. Subclasses only decide where
 * hosts come from.
 *
 * With active health checking, every new host starts FAILED_ACTIVE_HC until its first check
 * passes, and the cluster counts as initialized only once each host present when discovery
 * finished has had its first check (ClusterImplBase::onInitDone).
 */
import type { Cluster__Output } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';
import type { ClusterSettings } from './cluster-config.js';
import type { ClusterStats } from './cluster-stats.js';
import { type ConnectFn, HostConnectionPool, type PoolSettings } from './conn-pool.js';
import type { DnsResolver } from './dns.js';
import { createHealthCheckStats, HealthChecker } from './health-checker.js';
import { type HostSpec, hostKey, UpstreamHost } from './host.js';
import type { LoadBalancer, Random } from './lb.js';
import { lookupLoadBalancer } from './lb-registry.js';
import type { PrioritizedLocality } from './load-assignment.js';
import { createOutlierStats, OutlierDetector } from './outlier-detector.js';
import { PrioritySet } from './priority-set.js';
import type { ResourceManager, ResourceManagers } from './resource-manager.js';
import type { Scheduler } from './scheduler.js';
import type { LbContext, RoutingPriority, UpstreamCluster } from './types.js';

export interface ClusterDeps {
  readonly stats: ClusterStats;
  readonly resources: ResourceManagers;
  readonly resolver: DnsResolver;
  readonly connect: ConnectFn;
  readonly random: Random;
  readonly scheduler: Scheduler;
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
  /** Passive health checking; undefined without `outlier_detection`. */
  readonly outlierDetector: OutlierDetector | undefined;
  /** Active health checking; undefined without `health_checks`. */
  readonly healthChecker: HealthChecker | undefined;
  protected readonly deps: ClusterDeps;
  protected readonly poolSettings: PoolSettings;
  protected lb: LoadBalancer | undefined;
  private hostsByKey = new Map<string, UpstreamHost>();
  private lastShape = '';
  private isInitialized = false;
  /** Discovery finished (markInitialized was called); init may still wait for health checks. */
  private preInitDone = false;
  /** Hosts whose first health check cluster init still waits for. */
  private pendingFirstChecks: Set<UpstreamHost> | undefined;
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
    this.outlierDetector = settings.outlierDetection
      ? new OutlierDetector(settings.outlierDetection, createOutlierStats(deps.stats.scope), deps.scheduler, deps.random)
      : undefined;
    if (settings.healthCheck) {
      const stats = deps.stats;
      const checker = new HealthChecker(settings.healthCheck, {
        clusterName: settings.name,
        stats: createHealthCheckStats(stats.scope),
        scheduler: deps.scheduler,
        random: deps.random,
        connect: deps.connect,
        hasTraffic: () =>
          stats.upstream_cx_total.value > 0 ||
          stats.upstream_cx_rx_bytes_total.value > 0 ||
          stats.upstream_cx_tx_bytes_total.value > 0,
      });
      checker.addHostCheckCompleteCb((host, _transition, healthy) => {
        if (healthy) this.outlierDetector?.onActiveHealthCheckSuccess(host);
        if (this.pendingFirstChecks?.delete(host) && this.pendingFirstChecks.size === 0)
          this.finishInitialization();
      });
      this.healthChecker = checker;
    }
  }

  resourceManager(priority: RoutingPriority): ResourceManager {
    return priority === 'HIGH' ? this.resources.high : this.resources.default;
  }

  /** Full names of every stat this cluster owns, so removing it can drop them. */
  statNames(): string[] {
    return [
      ...this.stats.names,
      ...this.resources.default.names,
      ...this.resources.high.names,
      ...(this.outlierDetector?.stats.names ?? []),
      ...(this.healthChecker?.deps.stats.names ?? []),
    ];
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

  /**
   * Stops discovery, health checking and outlier sweeps (no timer or socket is left);
   * subclasses extend. Anyone waiting for init stops waiting.
   */
  protected stop(): void {
    this.active = false;
    this.healthChecker?.stop();
    this.outlierDetector?.destroy();
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

  /** Discovery is done; init completes now, or after the first health check of every host. */
  protected markInitialized(): void {
    if (this.isInitialized || this.preInitDone) return;
    this.preInitDone = true;
    const checker = this.healthChecker;
    if (checker) {
      const waiting = [...this.hostsByKey.values()].filter((h) => checker.awaitingFirstCheck(h));
      if (waiting.length > 0) {
        this.pendingFirstChecks = new Set(waiting);
        return;
      }
    }
    this.finishInitialization();
  }

  private finishInitialization(): void {
    this.pendingFirstChecks = undefined;
    if (this.isInitialized) return;
    this.isInitialized = true;
    this.resolveInit();
  }

  protected createHost(spec: HostSpec): UpstreamHost {
    const host = new UpstreamHost(spec, (h) => new HostConnectionPool(h, this.poolSettings));
    // Unhealthy until its first health check passes (StaticClusterImpl::startPreInit,
    // BaseDynamicClusterImpl::updateDynamicHostList).
    if (this.healthChecker) host.setHealthFlag('FAILED_ACTIVE_HC');
    host.onHealthChange = (h) => this.onHostHealthChange(h);
    return host;
  }

  /** Starts and stops per-host monitoring, after the priority set has the new membership. */
  private hostsChanged(added: readonly UpstreamHost[], removed: readonly UpstreamHost[]): void {
    if (!this.active) return;
    for (const host of removed) this.outlierDetector?.removeHost(host);
    this.healthChecker?.removeHosts(removed);
    for (const host of added) this.outlierDetector?.addHost(host);
    this.healthChecker?.addHosts(added);
  }

  /**
   * Makes `membership` the cluster's hosts. Returns false (and rebuilds nothing) when nothing
   * changed, as Envoy's updateDynamicHostList does for an identical DNS or EDS answer.
   */
  protected updateMembership(membership: Membership): boolean {
    const next = new Map<string, UpstreamHost>();
    const added: UpstreamHost[] = [];
    const removed: UpstreamHost[] = [];
    let changed = false;
    for (const spec of membership.hosts) {
      const key = hostKey(spec.address, spec.port);
      if (next.has(key)) continue; // one host per address
      const existing = this.hostsByKey.get(key);
      if (existing) {
        if (existing.update(spec)) changed = true;
        next.set(key, existing);
      } else {
        const host = this.createHost(spec);
        next.set(key, host);
        added.push(host);
        changed = true;
      }
    }
    for (const [key, host] of this.hostsByKey) {
      if (next.has(key)) continue;
      changed = true;
      host.onHealthChange = undefined;
      host.pool.drain();
      removed.push(host);
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
    this.hostsChanged(added, removed);
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
    this.hostsChanged([host], []);
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
    this.hostsChanged([], hosts);
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
