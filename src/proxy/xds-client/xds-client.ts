/**
 * The proxy as an xDS client: one ADS stream (state of the world) carrying CDS and LDS
 * (wildcard), EDS for the EDS clusters that exist and RDS for the route configurations the
 * listeners name. Initialization follows Envoy's server init: CDS first, its clusters warmed
 * (EDS) or timed out, then LDS, whose listeners warm until their RDS arrives; the proxy goes
 * LIVE after that (each initial fetch gives up after its config source's initial_fetch_timeout,
 * 15 s by default). A lost control plane changes nothing that is serving: the stream is retried
 * with backoff and, once back, every subscription is re-sent with the last accepted versions.
 */
import { SKEIN_VERSION } from '../../lib/version.js';
import type { Bootstrap__Output } from '../../xds/generated/envoy/config/bootstrap/v3/Bootstrap.js';
import type { Cluster__Output } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';
import type { Node } from '../../xds/generated/envoy/config/core/v3/Node.js';
import type { ClusterLoadAssignment__Output } from '../../xds/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
import type { Listener__Output } from '../../xds/generated/envoy/config/listener/v3/Listener.js';
import type { RouteConfiguration__Output } from '../../xds/generated/envoy/config/route/v3/RouteConfiguration.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from '../../xds/type-urls.js';
import { type AdsSettings, adsSettings } from '../bootstrap/dynamic-resources.js';
import type { ListenerManager } from '../listener/listener-manager.js';
import type { StatsScope } from '../stats/stats.js';
import { parseClusterConfig } from '../upstream/cluster-config.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import { AdsStream } from './ads-stream.js';
import type { JitteredExponentialBackoff } from './backoff.js';
import { CdsWatch } from './cds-watch.js';
import { initialFetchTimeoutMs } from './config-source.js';
import { EdsWatch } from './eds-watch.js';
import { LdsWatch } from './lds-watch.js';
import { RouteConfigProviders } from './route-config-providers.js';
import { SotwMux } from './sotw-mux.js';
import { SubscriptionStats } from './subscription-stats.js';

export interface XdsClientOptions {
  readonly bootstrap: Bootstrap__Output;
  readonly clusterManager: ClusterManager;
  readonly listenerManager: ListenerManager;
  /** The root stats scope. */
  readonly stats: StatsScope;
  readonly log: (message: string) => void;
  /** Tests shorten the reconnect backoff with this. */
  readonly backoff?: JitteredExponentialBackoff;
}

/** Resolves at the first accepted or rejected response, or after the initial fetch timeout (0: never). */
class InitialFetch {
  readonly done: Promise<void>;
  private resolve!: () => void;
  private settled = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number, onTimeout: () => void) {
    this.done = new Promise((resolve) => {
      this.resolve = resolve;
    });
    if (timeoutMs > 0) {
      this.timer = setTimeout(() => {
        if (this.settled) return;
        onTimeout();
        this.settle();
      }, timeoutMs);
    }
  }

  settle(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve();
  }
}

export class XdsClient {
  readonly settings: AdsSettings;
  readonly routeConfigProviders: RouteConfigProviders;
  readonly cds: CdsWatch;
  readonly eds: EdsWatch;
  readonly lds: LdsWatch;
  private readonly options: XdsClientOptions;
  private readonly mux: SotwMux;
  private readonly staticEdsNames: ReadonlySet<string>;
  private readonly cdsStats: SubscriptionStats;
  private readonly ldsStats: SubscriptionStats;
  private cdsFetch: InitialFetch | undefined;
  private ldsFetch: InitialFetch | undefined;
  private edsSubscribed = false;
  private rdsSubscribed = false;
  private ldsStarted = false;
  /** Set once the initial cluster warm-up is over (Envoy's AllClustersInitialized). */
  private clustersInitialized = false;

  constructor(options: XdsClientOptions) {
    const settings = adsSettings(options.bootstrap);
    if (!settings) throw new Error('the bootstrap has no usable dynamic_resources.ads_config');
    this.settings = settings;
    this.options = options;
    const root = options.stats;
    const connectedState = root.scope('control_plane.').gauge('connected_state');
    this.cdsStats = new SubscriptionStats(root.scope('cluster_manager.cds.'));
    this.ldsStats = new SubscriptionStats(root.scope('listener_manager.lds.'));
    this.mux = new SotwMux({
      node: xdsNode(options.bootstrap),
      setNodeOnFirstMessageOnly: settings.setNodeOnFirstMessageOnly,
      createStream: (callbacks) =>
        new AdsStream(
          { target: settings.target, connectedState, backoff: options.backoff, log: options.log },
          callbacks,
        ),
      log: options.log,
    });
    this.staticEdsNames = staticEdsServiceNames(options.bootstrap, settings.clusterName);
    this.cds = new CdsWatch({
      clusterManager: options.clusterManager,
      staticClusters: new Set(options.bootstrap.static_resources?.clusters.map((c) => c.name) ?? []),
      pauseEds: () => this.mux.pause(ENDPOINT_TYPE_URL),
      onEdsClustersChanged: () => this.edsInterestChanged(),
      log: options.log,
    });
    this.eds = new EdsWatch(options.clusterManager, () => this.edsNames());
    this.lds = new LdsWatch(options.listenerManager, () => this.mux.pause(ROUTE_TYPE_URL));
    this.routeConfigProviders = new RouteConfigProviders({
      stats: root,
      onInterestChanged: () => this.rdsInterestChanged(),
    });
    options.listenerManager.routeConfigProviders = this.routeConfigProviders;
  }

  /** Opens the stream with CDS (when configured) and EDS for the static EDS clusters. */
  start(): void {
    const cdsConfig = this.settings.cdsConfig;
    if (cdsConfig) {
      this.cdsFetch = new InitialFetch(initialFetchTimeoutMs(cdsConfig), () => this.cdsStats.initialFetchTimedOut());
      this.mux.subscribe<Cluster__Output>({
        typeUrl: CLUSTER_TYPE_URL,
        kind: 'Cluster',
        nameOf: (c) => c.name,
        watch: this.cds,
        stats: this.cdsStats,
        onHandled: (accepted) => this.onCdsHandled(accepted),
      });
    }
    this.edsInterestChanged();
    this.mux.start();
  }

  /** CDS's initial fetch is over and every cluster initialized (or gave up waiting). */
  async clustersReady(): Promise<void> {
    await this.cdsFetch?.done;
    await this.options.clusterManager.initialized();
    this.clustersInitialized = true;
  }

  /** Subscribes to LDS (after the clusters, as Envoy's server init does). */
  startListeners(): void {
    const ldsConfig = this.settings.ldsConfig;
    if (!ldsConfig || this.ldsStarted) return;
    this.ldsStarted = true;
    this.ldsFetch = new InitialFetch(initialFetchTimeoutMs(ldsConfig), () => this.ldsStats.initialFetchTimedOut());
    this.mux.subscribe<Listener__Output>({
      typeUrl: LISTENER_TYPE_URL,
      kind: 'Listener',
      nameOf: (l) => l.name,
      watch: this.lds,
      stats: this.ldsStats,
      onHandled: () => this.ldsFetch?.settle(),
    });
  }

  /** LDS's initial fetch is over (its listeners may still be warming). */
  async listenersFetched(): Promise<void> {
    await this.ldsFetch?.done;
  }

  /** The last accepted version_info per type, for config_dump. */
  versionInfo(typeUrl: string): string {
    return this.mux.versionInfo(typeUrl);
  }

  /** Resolves when every response received so far has been handled (tests, admin). */
  idle(): Promise<void> {
    return this.mux.idle();
  }

  close(): void {
    this.mux.close();
    this.routeConfigProviders.close();
    this.cdsFetch?.settle();
    this.ldsFetch?.settle();
  }

  private onCdsHandled(accepted: boolean): void {
    this.cdsFetch?.settle();
    // After init, Envoy keeps CDS paused while clusters warm, so its ACK tells the management
    // server the clusters are ready (ClusterManagerImpl::updateClusterCounts).
    if (accepted && this.clustersInitialized) {
      const resume = this.mux.pause(CLUSTER_TYPE_URL);
      void this.options.clusterManager.initialized().then(resume);
    }
  }

  private edsNames(): ReadonlySet<string> {
    return new Set([...this.staticEdsNames, ...this.cds.edsNames()]);
  }

  private edsInterestChanged(): void {
    this.eds.prune();
    if (!this.edsSubscribed) {
      if (this.edsNames().size === 0) return; // Envoy subscribes when the first EDS cluster appears
      this.edsSubscribed = true;
      this.mux.subscribe<ClusterLoadAssignment__Output>({
        typeUrl: ENDPOINT_TYPE_URL,
        kind: 'ClusterLoadAssignment',
        nameOf: (cla) => cla.cluster_name,
        watch: this.eds,
      });
      return;
    }
    this.mux.updateInterest(ENDPOINT_TYPE_URL);
  }

  private rdsInterestChanged(): void {
    if (!this.rdsSubscribed) {
      if (this.routeConfigProviders.resourceNames().length === 0) return;
      this.rdsSubscribed = true;
      this.mux.subscribe<RouteConfiguration__Output>({
        typeUrl: ROUTE_TYPE_URL,
        kind: 'RouteConfiguration',
        nameOf: (rc) => rc.name,
        watch: this.routeConfigProviders,
      });
      return;
    }
    this.mux.updateInterest(ROUTE_TYPE_URL);
  }
}

/** The bootstrap's node, with Skein as the user agent (Envoy likewise sets its own). */
function xdsNode(bootstrap: Bootstrap__Output): Node {
  return {
    ...(bootstrap.node as Node),
    user_agent_name: 'skein',
    user_agent_version: SKEIN_VERSION,
    user_agent_build_version: null,
  };
}

function staticEdsServiceNames(bootstrap: Bootstrap__Output, adsCluster: string): ReadonlySet<string> {
  const names = new Set<string>();
  for (const cluster of bootstrap.static_resources?.clusters ?? []) {
    if (cluster.name === adsCluster) continue;
    const parsed = parseClusterConfig(cluster, []);
    if (parsed.ok && parsed.settings.type === 'EDS') names.add(parsed.settings.edsServiceName);
  }
  return names;
}
