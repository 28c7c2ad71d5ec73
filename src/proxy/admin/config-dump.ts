/**
 * Envoy's admin `/config_dump` (envoy.admin.v3.ConfigDump), in Envoy's section order:
 * bootstrap, clusters, listeners, routes, and endpoints with `?include_eds`. Static resources
 * come from the bootstrap; dynamic ones carry the version_info that delivered them and when,
 * listeners and clusters split into active and warming, and resources of a rejected update
 * their error_state (UpdateFailureState), so `skein proxy-config`, istioctl and Envoy users read
 * the same shape. Everything is proto3 JSON with "@type" on each packed message.
 */
import type { Cluster__Output } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';
import type { ClusterLoadAssignment__Output } from '../../xds/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
import type { Listener__Output } from '../../xds/generated/envoy/config/listener/v3/Listener.js';
import type { RouteConfiguration__Output } from '../../xds/generated/envoy/config/route/v3/RouteConfiguration.js';
import { encodeProtoJson } from '../../xds/proto-json-encode.js';
import { TYPE_URL_PREFIX, unpackAny } from '../../xds/protos.js';
import { CLUSTER_TYPE_URL, LISTENER_TYPE_URL } from '../../xds/type-urls.js';
import type { ProxyServer } from '../server.js';
import type { UpdateFailure } from '../xds-client/resource-status.js';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const LISTENER = 'envoy.config.listener.v3.Listener';
const ROUTE = 'envoy.config.route.v3.RouteConfiguration';
const ENDPOINT = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

function toJson(typeName: string, value: object): Record<string, unknown> {
  return (encodeProtoJson(typeName, value) ?? {}) as Record<string, unknown>;
}

/** A message packed as an Any: `{"@type": url, ...fields}`. */
function packed(typeName: string, value: object): Record<string, unknown> {
  return { '@type': `${TYPE_URL_PREFIX}${typeName}`, ...toJson(typeName, value) };
}

const section = (name: string) => `${TYPE_URL_PREFIX}envoy.admin.v3.${name}`;

/** Drops empty arrays and empty strings, as proto3 JSON leaves out default values. */
function compact(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[key] = v;
  }
  return out;
}

function errorState(typeName: string, failure: UpdateFailure<object> | undefined): Record<string, unknown> | undefined {
  if (!failure) return undefined;
  return compact({
    failed_configuration: packed(typeName, failure.failedConfig),
    last_update_attempt: failure.lastUpdateAttempt,
    details: failure.details,
    version_info: failure.versionInfo,
  });
}

function clustersDump(server: ProxyServer): unknown {
  const xds = server.xds;
  const dynamic = xds?.cds.dynamic;
  const staticClusters = (server.bootstrap?.static_resources?.clusters ?? []).map((cluster) => ({
    cluster: packed(CLUSTER, cluster),
    last_updated: server.lastUpdated,
  }));
  const active: unknown[] = [];
  const warming: unknown[] = [];
  for (const [name, applied] of dynamic ?? []) {
    const entry = compact({
      version_info: applied.versionInfo,
      cluster: packed(CLUSTER, applied.config),
      last_updated: applied.lastUpdated,
      error_state: errorState(CLUSTER, xds?.cds.failures.get(name)),
    });
    // The cluster manager serves the old config until the new one has warmed.
    const serving = server.clusterManager.get(name) as { config?: Cluster__Output } | undefined;
    if (serving?.config === applied.config) active.push(entry);
    else warming.push(entry);
  }
  return compact({
    '@type': section('ClustersConfigDump'),
    version_info: xds?.versionInfo(CLUSTER_TYPE_URL),
    static_clusters: staticClusters,
    dynamic_active_clusters: active,
    dynamic_warming_clusters: warming,
  });
}

function listenersDump(server: ProxyServer): unknown {
  const xds = server.xds;
  const staticListeners: unknown[] = [];
  const dynamicListeners: unknown[] = [];
  const state = (config: Listener__Output, meta: { versionInfo: string; lastUpdated: string }) =>
    compact({ version_info: meta.versionInfo, listener: packed(LISTENER, config), last_updated: meta.lastUpdated });
  const named = new Set<string>();
  for (const listener of server.listenerManager.states()) {
    named.add(listener.name);
    const active = listener.active;
    if (active && !active.meta.addedViaApi) {
      staticListeners.push({ listener: packed(LISTENER, active.config), last_updated: server.lastUpdated });
      continue;
    }
    dynamicListeners.push(
      compact({
        name: listener.name,
        active_state: active && state(active.config, active.meta),
        warming_state: listener.warming && state(listener.warming.config, listener.warming.meta),
        error_state: errorState(LISTENER, xds?.lds.failures.get(listener.name)),
      }),
    );
  }
  // A listener whose only update was rejected still shows, with just its error_state.
  for (const [name, failure] of xds?.lds.failures.entries() ?? []) {
    if (!named.has(name)) dynamicListeners.push({ name, error_state: errorState(LISTENER, failure) });
  }
  return compact({
    '@type': section('ListenersConfigDump'),
    version_info: xds?.versionInfo(LISTENER_TYPE_URL),
    static_listeners: staticListeners,
    dynamic_listeners: dynamicListeners,
  });
}

/** Route configurations written inline in listeners' connection managers. */
function inlineRouteConfigs(listeners: readonly Listener__Output[]): RouteConfiguration__Output[] {
  const out: RouteConfiguration__Output[] = [];
  for (const listener of listeners) {
    const chains = listener.default_filter_chain ? [...listener.filter_chains, listener.default_filter_chain] : listener.filter_chains;
    for (const chain of chains) {
      for (const filter of chain.filters) {
        if (!filter.typed_config || !filter.typed_config.type_url.endsWith(`/${HCM}`)) continue;
        const hcm = unpackAny<{ route_config: RouteConfiguration__Output | null }>(filter.typed_config);
        if (hcm.ok && hcm.value.route_config) out.push(hcm.value.route_config);
      }
    }
  }
  return out;
}

function routesDump(server: ProxyServer): unknown {
  const dynamic = server.xds?.routeConfigProviders.dynamicRouteConfigs() ?? [];
  return compact({
    '@type': section('RoutesConfigDump'),
    static_route_configs: inlineRouteConfigs(server.listenerManager.configs()).map((config) => ({
      route_config: packed(ROUTE, config),
      last_updated: server.lastUpdated,
    })),
    dynamic_route_configs: dynamic.map((route) =>
      compact({ version_info: route.versionInfo, route_config: packed(ROUTE, route.config), last_updated: route.lastUpdated }),
    ),
  });
}

function endpointsDump(server: ProxyServer): unknown {
  const staticEndpoints: unknown[] = [];
  for (const cluster of server.bootstrap?.static_resources?.clusters ?? []) {
    if (cluster.load_assignment) staticEndpoints.push({ endpoint_config: packed(ENDPOINT, cluster.load_assignment) });
  }
  const dynamic: unknown[] = [];
  for (const [, applied] of server.xds?.eds.applied ?? new Map<string, { config: ClusterLoadAssignment__Output; versionInfo: string; lastUpdated: string }>()) {
    dynamic.push(
      compact({ version_info: applied.versionInfo, endpoint_config: packed(ENDPOINT, applied.config), last_updated: applied.lastUpdated }),
    );
  }
  return compact({
    '@type': section('EndpointsConfigDump'),
    static_endpoint_configs: staticEndpoints,
    dynamic_endpoint_configs: dynamic,
  });
}

/** `/config_dump`; endpoints only with `include_eds`, as Envoy. */
export function buildConfigDump(server: ProxyServer, includeEds = false): unknown {
  const configs = [
    {
      '@type': section('BootstrapConfigDump'),
      bootstrap: toJson('envoy.config.bootstrap.v3.Bootstrap', server.bootstrap ?? {}),
      last_updated: server.lastUpdated,
    },
    clustersDump(server),
    listenersDump(server),
    routesDump(server),
  ];
  if (includeEds) configs.push(endpointsDump(server));
  return { configs };
}
