/**
 * The HTTP connection manager and network filters Istio puts on listeners
 * (listener_builder.go `buildHTTPConnectionManager`): HTTP filters fault, cors, router (in that
 * order, as Istio's chain has them around its telemetry filters), RDS over ADS or an inline route
 * config, no stream idle timeout, normalized paths with escaped slashes kept.
 */
import { CORS_FILTER, FAULT_FILTER, ROUTER_FILTER } from './route-translate.js';
import { adsConfigSource, typedConfig, type Json } from './xds-resource.js';

export const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const HCM_FILTER = 'envoy.filters.network.http_connection_manager';
export const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
export const TCP_PROXY_FILTER = 'envoy.filters.network.tcp_proxy';

export function faultFilter(): Json {
  return { name: FAULT_FILTER, typed_config: typedConfig('envoy.extensions.filters.http.fault.v3.HTTPFault') };
}

export function corsFilter(): Json {
  return { name: CORS_FILTER, typed_config: typedConfig('envoy.extensions.filters.http.cors.v3.Cors') };
}

export function routerFilter(): Json {
  return { name: ROUTER_FILTER, typed_config: typedConfig('envoy.extensions.filters.http.router.v3.Router') };
}

export interface HcmOptions {
  readonly statPrefix: string;
  /** RDS route config name; exclusive with `routeConfig`. */
  readonly rds?: string;
  readonly routeConfig?: Json;
  /** Sidecars: false (the peer is local); gateways: true. */
  readonly useRemoteAddress: boolean;
  readonly httpProtocolOptions?: Json;
}

/** The `envoy.filters.network.http_connection_manager` network filter. */
export function hcmFilter(opts: HcmOptions): Json {
  const hcm: Json = { stat_prefix: opts.statPrefix };
  if (opts.rds !== undefined) hcm.rds = { config_source: adsConfigSource(), route_config_name: opts.rds };
  else hcm.route_config = opts.routeConfig;
  hcm.http_filters = [faultFilter(), corsFilter(), routerFilter()];
  if (opts.httpProtocolOptions) hcm.http_protocol_options = opts.httpProtocolOptions;
  hcm.use_remote_address = opts.useRemoteAddress;
  hcm.stream_idle_timeout = '0s';
  hcm.normalize_path = true;
  hcm.path_with_escaped_slashes_action = 'KEEP_UNCHANGED';
  return { name: HCM_FILTER, typed_config: typedConfig(HCM_TYPE, hcm) };
}

/** A `tcp_proxy` to one cluster, or weighted clusters. */
export function tcpProxyFilter(statPrefix: string, cluster: string | readonly { name: string; weight: number }[]): Json {
  const body: Json = { stat_prefix: statPrefix };
  if (typeof cluster === 'string') body.cluster = cluster;
  else body.weighted_clusters = { clusters: cluster };
  return { name: TCP_PROXY_FILTER, typed_config: typedConfig(TCP_PROXY_TYPE, body) };
}
