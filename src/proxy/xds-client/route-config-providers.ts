/**
 * RDS: route configurations an HTTP connection manager names with `rds.route_config_name`,
 * delivered over ADS. Every HCM that names the same route configuration shares one
 * subscription (Envoy's RdsRouteConfigSubscription); the HCM reads the provider's current
 * table for each new request, so an update takes effect in place, without touching the
 * listener or its connections. A provider is an init target: its listener warms until the
 * first RouteConfiguration arrives, or until the config source's initial_fetch_timeout, after
 * which it serves with an empty table (every request: 404 NR), as Envoy does.
 */
import type { RouteConfiguration__Output } from '../../xds/generated/envoy/config/route/v3/RouteConfiguration.js';
import type { Rds__Output } from '../../xds/generated/envoy/extensions/filters/network/http_connection_manager/v3/Rds.js';
import { decodeProtoJson, type FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { type InitTarget, OneShotInitTarget } from '../listener/init-target.js';
import { compileRouteConfiguration, type RouteTable } from '../router/route-table.js';
import type { Counter, StatsScope } from '../stats/stats.js';
import { checkAdsConfigSource, initialFetchTimeoutMs } from './config-source.js';
import type { DecodedResource, ResourceError, XdsWatch } from './sotw-mux.js';
import { SubscriptionStats } from './subscription-stats.js';

export interface RouteConfigProvider extends InitTarget {
  readonly routeConfigName: string;
  /** The table new requests route with. */
  readonly table: RouteTable;
  /** The HCM holding this provider is gone; the last release ends the subscription. */
  release(): void;
}

/** What config_dump shows for one RDS route configuration. */
export interface DynamicRouteConfig {
  readonly name: string;
  readonly versionInfo: string;
  readonly config: RouteConfiguration__Output;
  readonly lastUpdated: string;
}

class RdsSubscription {
  readonly name: string;
  readonly init = new OneShotInitTarget();
  readonly stats: SubscriptionStats;
  readonly configReload: Counter;
  table: RouteTable;
  config: RouteConfiguration__Output | undefined;
  versionInfo = '';
  lastUpdated = '';
  refs = 0;
  private fetchTimer: NodeJS.Timeout | undefined;

  constructor(name: string, table: RouteTable, scope: StatsScope, fetchTimeoutMs: number) {
    this.name = name;
    this.table = table;
    this.stats = new SubscriptionStats(scope);
    this.configReload = scope.counter('config_reload');
    this.stats.update_attempt.inc();
    if (fetchTimeoutMs > 0) {
      this.fetchTimer = setTimeout(() => {
        if (this.init.isReady) return;
        this.stats.initialFetchTimedOut();
        this.init.ready();
      }, fetchTimeoutMs);
      this.fetchTimer.unref();
    }
  }

  apply(config: RouteConfiguration__Output, table: RouteTable | undefined, versionInfo: string, ms: number): void {
    if (table) {
      this.table = table;
      this.config = config;
      this.lastUpdated = new Date().toISOString();
      this.configReload.inc();
    }
    this.versionInfo = versionInfo;
    this.stats.accepted(versionInfo, ms);
    clearTimeout(this.fetchTimer);
    this.init.ready();
  }

  close(): void {
    clearTimeout(this.fetchTimer);
  }
}

export interface RouteConfigProvidersOptions {
  readonly stats: StatsScope;
  /** The set of subscribed names changed: send a new RDS request. */
  readonly onInterestChanged: () => void;
}

export class RouteConfigProviders implements XdsWatch<RouteConfiguration__Output> {
  private readonly options: RouteConfigProvidersOptions;
  private readonly subscriptions = new Map<string, RdsSubscription>();

  constructor(options: RouteConfigProvidersOptions) {
    this.options = options;
  }

  /** The provider for an HCM's `rds`, or undefined with errors recorded at `path`. */
  subscribe(rds: Rds__Output, statPrefix: string, path: FieldPath, errors: ConfigError[]): RouteConfigProvider | undefined {
    const before = errors.length;
    checkSupported(
      'envoy.extensions.filters.network.http_connection_manager.v3.Rds',
      rds,
      ['config_source', 'route_config_name'],
      path,
      errors,
    );
    if (!rds.route_config_name) {
      errors.push({ path: [...path, 'route_config_name'], message: 'route_config_name is required' });
    }
    checkAdsConfigSource(rds.config_source, [...path, 'config_source'], errors);
    if (errors.length > before) return undefined;

    const name = rds.route_config_name;
    let subscription = this.subscriptions.get(name);
    if (!subscription) {
      // Envoy's scope: http.<stat_prefix>.rds.<route_config_name>., from the first HCM naming it.
      const scope = this.options.stats.scope(`http.${statPrefix}.rds.${name}.`);
      subscription = new RdsSubscription(name, emptyTable(name), scope, initialFetchTimeoutMs(rds.config_source));
      this.subscriptions.set(name, subscription);
      this.options.onInterestChanged();
    }
    subscription.refs++;
    return this.handle(subscription);
  }

  resourceNames(): readonly string[] {
    return [...this.subscriptions.keys()];
  }

  async onConfigUpdate(
    resources: readonly DecodedResource<RouteConfiguration__Output>[],
    versionInfo: string,
  ): Promise<ResourceError[]> {
    const started = performance.now();
    const errors: ResourceError[] = [];
    const updates: { subscription: RdsSubscription; config: RouteConfiguration__Output; table: RouteTable | undefined }[] = [];
    for (const { name, resource } of resources) {
      const subscription = this.subscriptions.get(name);
      if (!subscription) continue; // not (or no longer) watched: Envoy's watch map drops it
      if (subscription.config && sameConfig(subscription.config, resource)) {
        updates.push({ subscription, config: resource, table: undefined }); // Envoy: "unchanged", no reload
        continue;
      }
      const compiled = compileRouteConfiguration(resource, []);
      if (compiled.ok) updates.push({ subscription, config: resource, table: compiled.table });
      else for (const error of compiled.errors) errors.push({ ...error, resourceName: name });
    }
    if (errors.length > 0) return errors;
    const ms = performance.now() - started;
    for (const update of updates) update.subscription.apply(update.config, update.table, versionInfo, ms);
    return [];
  }

  onConfigRejected(): void {
    // Envoy tells every watch of the type about a rejected response.
    for (const subscription of this.subscriptions.values()) {
      subscription.stats.rejected();
      subscription.init.ready();
    }
  }

  dynamicRouteConfigs(): DynamicRouteConfig[] {
    const out: DynamicRouteConfig[] = [];
    for (const s of this.subscriptions.values()) {
      if (s.config) out.push({ name: s.name, versionInfo: s.versionInfo, config: s.config, lastUpdated: s.lastUpdated });
    }
    return out;
  }

  close(): void {
    for (const subscription of this.subscriptions.values()) subscription.close();
  }

  private handle(subscription: RdsSubscription): RouteConfigProvider {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      subscription.refs--;
      if (subscription.refs === 0 && this.subscriptions.get(subscription.name) === subscription) {
        subscription.close();
        this.subscriptions.delete(subscription.name);
        this.options.onInterestChanged();
      }
    };
    return {
      routeConfigName: subscription.name,
      get table() {
        return subscription.table;
      },
      get isReady() {
        return subscription.init.isReady;
      },
      whenReady: subscription.init.whenReady,
      release,
    };
  }
}

/** The table an HCM routes with before its RouteConfiguration arrives: no virtual host, 404 NR. */
function emptyTable(name: string): RouteTable {
  const decoded = decodeProtoJson<RouteConfiguration__Output>('envoy.config.route.v3.RouteConfiguration', { name });
  if (!decoded.ok) throw new Error('cannot build an empty RouteConfiguration');
  const compiled = compileRouteConfiguration(decoded.value, []);
  if (!compiled.ok) throw new Error('cannot compile an empty RouteConfiguration');
  return compiled.table;
}

function sameConfig(a: RouteConfiguration__Output, b: RouteConfiguration__Output): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
