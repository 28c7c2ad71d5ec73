/**
 * Filters are chosen by the Envoy type URL of their `typed_config`, from registries filled
 * at start-up by `registerBuiltinFilters()`; a filter is a module that registers itself, not a
 * branch in the core (grpc-js-xds's `registerHttpFilter`, Envoy's `REGISTER_FACTORY`).
 */
import type { Socket } from 'node:net';
import type { FieldPath } from '../../xds/proto-json.js';
import type { ConfigError } from '../config/config-error.js';
import type { HttpFilter } from '../http/http-filter.js';
import type { InitTarget } from '../listener/init-target.js';
import type { StatsScope } from '../stats/stats.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import type { RouteConfigProviders } from '../xds-client/route-config-providers.js';

/** What filter factories may use from the proxy around them. */
export interface FilterContext {
  readonly clusterManager: ClusterManager;
  readonly stats: StatsScope;
  /** Name of the listener the filter chain belongs to (for stats and logs). */
  readonly listenerName: string;
  /** The listener's per_connection_buffer_limit_bytes (Envoy default 1 MiB). */
  readonly bufferLimitBytes: number;
  /** Operator-facing log line (never on the per-request path). */
  log(message: string): void;
  /** RDS subscriptions over ADS; absent when the proxy has no dynamic_resources.ads_config. */
  readonly routeConfigProviders?: RouteConfigProviders;
  /** Envoy's listener init manager: the listener warms until every target added here is ready. */
  addInitTarget?(target: InitTarget): void;
}

/** Where one HTTP filter sits: its entry in the connection manager's http_filters. */
export interface HttpFilterInfo {
  /** The entry's `name`: the key routes use in typed_per_filter_config for this filter. */
  readonly name: string;
  /** The connection manager's stat_prefix: the filter's stats live under `http.<statPrefix>.` */
  readonly statPrefix: string;
}

export interface HttpFilterFactory {
  /** Fully qualified proto type, e.g. `envoy.extensions.filters.http.router.v3.Router`. */
  readonly typeName: string;
  /** True for the filter that ends the chain (the router). */
  readonly terminal: boolean;
  /** Validates the decoded typed_config; returns a per-stream filter maker, or records errors. */
  create(
    config: unknown,
    path: FieldPath,
    errors: ConfigError[],
    context: FilterContext,
    filter: HttpFilterInfo,
  ): (() => HttpFilter) | undefined;
  /**
   * The proto type of this filter's typed_per_filter_config (Envoy's createEmptyRouteConfigProto);
   * absent when the filter has no virtual host or route specific configuration.
   */
  readonly routeConfigTypeName?: string;
  /**
   * Validates a decoded per-route config once, when the route configuration is compiled. The
   * result is what the filter later finds with mostSpecificPerFilterConfig (router/per-filter-config.ts).
   */
  createRouteConfig?(config: unknown, path: FieldPath, errors: ConfigError[]): object | undefined;
}

/** Downstream connection facts a network filter needs. */
export interface ConnectionInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
}

/** A network filter instance, owning the connections handed to it. */
export interface ConnectionHandler {
  onConnection(socket: Socket, info: ConnectionInfo): void;
  /** Graceful drain: finish in-flight work, close connections as soon as they are idle. */
  drain(): void;
  /** Number of connections still open. */
  readonly activeConnections: number;
  /** Hard stop. */
  destroy(): void;
}

export interface NetworkFilterFactory {
  readonly typeName: string;
  create(
    config: unknown,
    path: FieldPath,
    errors: ConfigError[],
    context: FilterContext,
  ): ConnectionHandler | undefined;
}

const httpFilters = new Map<string, HttpFilterFactory>();
const networkFilters = new Map<string, NetworkFilterFactory>();

export function registerHttpFilter(factory: HttpFilterFactory): void {
  httpFilters.set(factory.typeName, factory);
}

export function registerNetworkFilter(factory: NetworkFilterFactory): void {
  networkFilters.set(factory.typeName, factory);
}

export function httpFilterFactory(typeName: string): HttpFilterFactory | undefined {
  return httpFilters.get(typeName);
}

/**
 * The factory a typed_per_filter_config of `typeName` belongs to: Envoy finds it by any of the
 * factory's config types (getFactoryByType), the filter's own or its per-route one.
 */
export function httpFilterFactoryByAnyType(typeName: string): HttpFilterFactory | undefined {
  const direct = httpFilters.get(typeName);
  if (direct) return direct;
  for (const factory of httpFilters.values()) if (factory.routeConfigTypeName === typeName) return factory;
  return undefined;
}

export function networkFilterFactory(typeName: string): NetworkFilterFactory | undefined {
  return networkFilters.get(typeName);
}

export function registeredHttpFilters(): string[] {
  return [...httpFilters.keys()];
}

export function registeredNetworkFilters(): string[] {
  return [...networkFilters.keys()];
}
