/**
 * The proxy process: stats, cluster manager, listener manager and admin API, configured from
 * an Envoy v3 Bootstrap. Clusters initialize before listeners open (Envoy's init order), so
 * the first request already has its upstreams; `/ready` turns LIVE only then. With
 * `dynamic_resources` the same order holds over ADS: static clusters, CDS and its EDS warm-up,
 * static listeners, LDS, then listener warming (RDS), each initial fetch bounded by its
 * initial_fetch_timeout.
 */
import type { Bootstrap__Output } from '../xds/generated/envoy/config/bootstrap/v3/Bootstrap.js';
import { AdminServer } from './admin/admin-server.js';
import { type ConfigError, ConfigRejected } from './config/config-error.js';
import { registerBuiltinFilters } from './filters/builtin.js';
import { ListenerManager } from './listener/listener-manager.js';
import { StatsStore } from './stats/stats.js';
import { ClusterManager } from './upstream/cluster-manager.js';
import { adsSettings } from './bootstrap/dynamic-resources.js';
import type { JitteredExponentialBackoff } from './xds-client/backoff.js';
import type { XdsClient } from './xds-client/xds-client.js';

export type ServerState = 'PRE_INITIALIZING' | 'INITIALIZING' | 'LIVE' | 'DRAINING';

export interface ProxyServerOptions {
  /** Admin address when the bootstrap has none (Istio's sidecar admin port). */
  readonly adminHost?: string;
  readonly adminPort?: number;
  /** Envoy's --drain-time-s, in milliseconds. */
  readonly drainTimeMs?: number;
  readonly log?: (message: string) => void;
  /** The ADS reconnect backoff (tests shorten it). */
  readonly xdsBackoff?: JitteredExponentialBackoff;
}

export class ProxyServer {
  readonly stats = new StatsStore();
  readonly clusterManager: ClusterManager;
  readonly listenerManager: ListenerManager;
  readonly startTime = Date.now();
  readonly drainTimeMs: number;
  state: ServerState = 'PRE_INITIALIZING';
  healthCheckFailed = false;
  bootstrap: Bootstrap__Output | undefined;
  /** The ADS client, when the bootstrap has dynamic_resources. */
  xds: XdsClient | undefined;
  lastUpdated = new Date().toISOString();
  private admin: AdminServer | undefined;
  private readonly options: ProxyServerOptions;
  private readonly log: (message: string) => void;
  private shuttingDown: Promise<void> | undefined;

  constructor(options: ProxyServerOptions = {}) {
    registerBuiltinFilters();
    this.options = options;
    this.log = options.log ?? ((message) => process.stderr.write(`${new Date().toISOString()} ${message}\n`));
    this.drainTimeMs = options.drainTimeMs ?? 600_000;
    const root = this.stats.root();
    this.clusterManager = new ClusterManager({ stats: root });
    this.listenerManager = new ListenerManager({
      clusterManager: this.clusterManager,
      stats: root,
      drainTimeMs: this.drainTimeMs,
      log: this.log,
    });
  }

  /** Applies a bootstrap's static resources; rejects (with every error) before changing anything it cannot apply. */
  async start(bootstrap: Bootstrap__Output): Promise<void> {
    this.bootstrap = bootstrap;
    this.state = 'INITIALIZING';
    const admin = bootstrap.admin?.address?.socket_address;
    this.admin = new AdminServer(this);
    await this.admin.listen(
      admin?.address ?? this.options.adminHost ?? '127.0.0.1',
      admin?.port_value ?? this.options.adminPort ?? 15000,
    );

    const errors: ConfigError[] = [];
    const resources = bootstrap.static_resources;
    resources?.clusters.forEach((cluster, i) => {
      const result = this.clusterManager.addOrUpdateCluster(cluster, ['static_resources', 'clusters', i]);
      if (!result.ok) errors.push(...result.errors);
    });
    if (errors.length > 0) throw new ConfigRejected(errors);
    if (adsSettings(bootstrap)) {
      // Loaded only with a control plane: gRPC costs a static proxy memory for nothing.
      const { XdsClient } = await import('./xds-client/xds-client.js');
      this.xds = new XdsClient({
        bootstrap,
        clusterManager: this.clusterManager,
        listenerManager: this.listenerManager,
        stats: this.stats.root(),
        log: this.log,
        backoff: this.options.xdsBackoff,
      });
      this.xds.start();
      await this.xds.clustersReady();
    } else {
      await this.clusterManager.initialized();
    }
    for (const [i, listener] of (resources?.listeners ?? []).entries()) {
      const result = await this.listenerManager.addOrUpdate(listener, ['static_resources', 'listeners', i]);
      if (!result.ok) errors.push(...result.errors);
    }
    if (errors.length > 0) {
      this.xds?.close();
      await this.listenerManager.close();
      throw new ConfigRejected(errors);
    }
    this.lastUpdated = new Date().toISOString();
    if (this.xds) {
      this.xds.startListeners();
      await this.xds.listenersFetched();
    }
    await this.listenerManager.whenWarm();
    if (this.state === 'INITIALIZING') this.state = 'LIVE';
  }

  get adminPort(): number | undefined {
    return this.admin?.port;
  }

  /**
   * Graceful shutdown (SIGTERM, /quitquitquit): stop accepting, let in-flight requests finish
   * with `connection: close`, and exit once idle or when the drain time is up.
   */
  shutdown(drainTimeMs = this.drainTimeMs): Promise<void> {
    this.shuttingDown ??= (async () => {
      this.state = 'DRAINING';
      this.listenerManager.drainAll(true);
      const deadline = Date.now() + drainTimeMs;
      while (this.listenerManager.activeConnections() > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      this.xds?.close();
      await this.listenerManager.close();
      this.clusterManager.close();
      await this.admin?.close();
    })();
    return this.shuttingDown;
  }
}
