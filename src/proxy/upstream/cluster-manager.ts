/**
 * The cluster manager: builds clusters from CDS/bootstrap `Cluster` resources, feeds EDS
 * assignments to them, and hands the router and TCP proxy the active cluster by name.
 *
 * Updates follow Envoy's warming: a new cluster replaces the active one of the same name once it
 * has initialized (at once for STATIC and ORIGINAL_DST; after the first DNS answer or EDS
 * assignment otherwise). The replaced cluster drains — its idle connections close, requests in
 * flight finish on the connections they hold. An identical update changes nothing. The last
 * assignment per EDS service name is kept, so a rebuilt EDS cluster warms from it at once.
 */
import type { Cluster__Output } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';
import type { ClusterLoadAssignment__Output } from '../../xds/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
import type { FieldPath } from '../../xds/proto-json.js';
import type { ConfigError } from '../config/config-error.js';
import type { Counter, Gauge, StatsScope } from '../stats/stats.js';
import type { ClusterBase, ClusterDeps } from './cluster-base.js';
import { type ClusterSettings, parseClusterConfig } from './cluster-config.js';
import { StrictDnsCluster } from './cluster-dns.js';
import { EdsCluster } from './cluster-eds.js';
import { LogicalDnsCluster } from './cluster-logical-dns.js';
import { OriginalDstCluster } from './cluster-original-dst.js';
import { StaticCluster } from './cluster-static.js';
import { clusterStatsScope, createClusterStats } from './cluster-stats.js';
import { type ConnectFn, defaultConnect } from './conn-pool.js';
import { type DnsResolver, systemResolver } from './dns.js';
import { defaultRandom, type Random } from './lb.js';
import { type ParsedAssignment, parseLoadAssignment } from './load-assignment.js';
import { createResourceManagers } from './resource-manager.js';
import { realScheduler, type Scheduler } from './scheduler.js';
import type { UpstreamCluster } from './types.js';

export type { ClusterStats } from './cluster-stats.js';
export type { DnsAnswer, DnsResolver } from './dns.js';
export type { Resource, ResourceManager } from './resource-manager.js';
export type {
  ConnectionPool,
  HealthCheckHostMonitor,
  Host,
  LbContext,
  OutlierMonitor,
  OutlierResult,
  PendingAcquire,
  PooledConnection,
  PoolFailure,
  RoutingPriority,
  UpstreamCluster,
} from './types.js';

export interface ClusterManagerOptions {
  stats: StatsScope;
  /** Name resolution for DNS clusters; defaults to node:dns `lookup` with all addresses. */
  resolver?: DnsResolver;
  /** Opens upstream connections; defaults to `net.connect`. */
  connect?: ConnectFn;
  /** Uniform unsigned 32-bit integers for the load balancers; defaults to Math.random. */
  random?: Random;
  /** Clock and timers for health checking and outlier detection; defaults to real time. */
  scheduler?: Scheduler;
}

export type UpdateResult = { ok: true } | { ok: false; errors: ConfigError[] };

interface ManagerStats {
  readonly cluster_added: Counter;
  readonly cluster_modified: Counter;
  readonly cluster_removed: Counter;
  readonly cluster_updated: Counter;
  readonly active_clusters: Gauge;
  readonly warming_clusters: Gauge;
}

export class ClusterManager {
  private readonly options: ClusterManagerOptions;
  private readonly active = new Map<string, ClusterBase>();
  private readonly warming = new Map<string, ClusterBase>();
  /** Last ClusterLoadAssignment per EDS service name. */
  private readonly assignments = new Map<string, ParsedAssignment>();
  private readonly managerStats: ManagerStats;
  private closed = false;

  constructor(options: ClusterManagerOptions) {
    this.options = options;
    const scope = options.stats.scope('cluster_manager.');
    this.managerStats = {
      cluster_added: scope.counter('cluster_added'),
      cluster_modified: scope.counter('cluster_modified'),
      cluster_removed: scope.counter('cluster_removed'),
      cluster_updated: scope.counter('cluster_updated'),
      active_clusters: scope.gauge('active_clusters'),
      warming_clusters: scope.gauge('warming_clusters'),
    };
  }

  addOrUpdateCluster(config: Cluster__Output, path: FieldPath = []): UpdateResult {
    const parsed = parseClusterConfig(config, path);
    if (!parsed.ok) return parsed;
    const settings = parsed.settings;
    const name = settings.name;
    const current = this.warming.get(name) ?? this.active.get(name);
    if (current && sameConfig(current.config, config)) return { ok: true };

    const cluster = this.build(config, settings);
    if (cluster instanceof EdsCluster) {
      const cached = this.assignments.get(cluster.serviceName);
      if (cached) cluster.applyAssignment(cached);
    }
    cluster.start();

    if (current) this.managerStats.cluster_modified.inc();
    else this.managerStats.cluster_added.inc();
    this.warming.get(name)?.close();
    this.warming.delete(name);
    if (!this.active.has(name) || cluster.initialized) {
      this.activate(cluster);
    } else {
      this.warming.set(name, cluster);
      void cluster.whenInitialized().then(() => {
        if (this.warming.get(name) !== cluster) return;
        this.warming.delete(name);
        this.activate(cluster);
      });
    }
    this.publishCounts();
    return { ok: true };
  }

  removeCluster(name: string): boolean {
    const active = this.active.get(name);
    const warming = this.warming.get(name);
    if (!active && !warming) return false;
    this.active.delete(name);
    this.warming.delete(name);
    warming?.close();
    if (active) {
      active.drain();
      // In-flight requests keep their (now orphaned) stat objects; the store forgets them.
      for (const stat of active.statNames()) active.stats.scope.store.stats.delete(stat);
    }
    this.managerStats.cluster_removed.inc();
    this.publishCounts();
    return true;
  }

  /** EDS: applies to every EDS cluster whose service name is the assignment's cluster_name. */
  updateLoadAssignment(cla: ClusterLoadAssignment__Output, path: FieldPath = []): UpdateResult {
    const errors: ConfigError[] = [];
    if (!cla.cluster_name)
      errors.push({ path: [...path, 'cluster_name'], message: 'cluster_name is required' });
    const parsed = parseLoadAssignment(cla, path, errors, 'ip');
    if (errors.length > 0) return { ok: false, errors };
    this.assignments.set(cla.cluster_name, parsed);
    for (const cluster of [...this.active.values(), ...this.warming.values()]) {
      if (cluster instanceof EdsCluster && cluster.serviceName === cla.cluster_name) {
        cluster.applyAssignment(parsed);
        this.managerStats.cluster_updated.inc();
      }
    }
    return { ok: true };
  }

  get(name: string): UpstreamCluster | undefined {
    return this.active.get(name);
  }

  clusters(): Iterable<UpstreamCluster> {
    return this.active.values();
  }

  /** Resolves when every cluster, active or warming, has initialized (Envoy's warming). */
  async initialized(): Promise<void> {
    const pending = [...this.active.values(), ...this.warming.values()].map((c) => c.whenInitialized());
    await Promise.all(pending);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const cluster of [...this.active.values(), ...this.warming.values()]) cluster.close();
    this.active.clear();
    this.warming.clear();
    this.publishCounts();
  }

  private activate(cluster: ClusterBase): void {
    const previous = this.active.get(cluster.name);
    this.active.set(cluster.name, cluster);
    previous?.drain();
    this.publishCounts();
  }

  private build(config: Cluster__Output, settings: ClusterSettings): ClusterBase {
    const scope = clusterStatsScope(this.options.stats, settings.statName);
    const deps: ClusterDeps = {
      stats: createClusterStats(scope),
      resources: createResourceManagers(scope, settings.thresholds),
      resolver: this.options.resolver ?? systemResolver,
      connect: this.options.connect ?? defaultConnect,
      random: this.options.random ?? defaultRandom,
      scheduler: this.options.scheduler ?? realScheduler,
    };
    switch (settings.type) {
      case 'STRICT_DNS':
        return new StrictDnsCluster(config, settings, deps);
      case 'LOGICAL_DNS':
        return new LogicalDnsCluster(config, settings, deps);
      case 'EDS':
        return new EdsCluster(config, settings, deps);
      case 'ORIGINAL_DST':
        return new OriginalDstCluster(config, settings, deps);
      default:
        return new StaticCluster(config, settings, deps);
    }
  }

  private publishCounts(): void {
    this.managerStats.active_clusters.set(this.active.size);
    this.managerStats.warming_clusters.set(this.warming.size);
  }
}

/** Decoded protos compare by value; Buffers (packed Any values) stringify to their bytes. */
function sameConfig(a: Cluster__Output, b: Cluster__Output): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
