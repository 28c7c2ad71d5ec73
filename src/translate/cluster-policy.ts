/**
 * A DestinationRule traffic policy applied to an Envoy cluster, with Istio's mapping and
 * defaults (pilot/pkg/networking/core/cluster_traffic_policy.go `applyTrafficPolicy`).
 */
import type {
  ConnectionPoolSettings,
  LoadBalancerSettings,
  LocalityLoadBalancerSetting,
  MeshConfig,
  OutlierDetection,
  Protocol,
  TrafficPolicy,
} from '../model/index.js';
import { isHttp2Protocol, isHttpProtocol } from '../model/index.js';
import { durationSeconds, toProtoDuration } from './duration.js';
import { typedConfig, type Json } from './xds-resource.js';

const MAX_UINT32 = 4294967295;
export const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** A cluster under construction plus its HttpProtocolOptions (Istio's clusterWrapper). */
export interface ClusterDraft {
  cluster: Json;
  httpOptions?: Json;
}

export type Direction = 'outbound' | 'inbound';

/** Istio `getDefaultCircuitBreakerThresholds`: every limit at 2^32-1 (Envoy's max_retries default of 3 caused 503s under churn). */
function defaultThresholds(): Json {
  return {
    max_connections: MAX_UINT32,
    max_pending_requests: MAX_UINT32,
    max_requests: MAX_UINT32,
    max_retries: MAX_UINT32,
    track_remaining: true,
  };
}

function setH2(draft: ClusterDraft): void {
  draft.httpOptions ??= {};
  draft.httpOptions.explicit_http_config ??= { http2_protocol_options: {} };
}

/** Istio `setUseDownstreamProtocol`. */
export function setUseDownstreamProtocol(draft: ClusterDraft): void {
  draft.httpOptions ??= {};
  delete draft.httpOptions.explicit_http_config;
  draft.httpOptions.use_downstream_protocol_config = { http_protocol_options: {}, http2_protocol_options: {} };
}

/** Istio `setUpstreamProtocol`: HTTP/2 for HTTP2/GRPC ports; the downstream protocol for unnamed ports on sidecars. */
export function setUpstreamProtocol(draft: ClusterDraft, protocol: Protocol, sidecar: boolean): void {
  if (isHttp2Protocol(protocol)) setH2(draft);
  else if (sidecar && protocol === 'UnsupportedProtocol') setUseDownstreamProtocol(draft);
}

/** Istio `applyConnectionPool`: limits into circuit_breakers, timeouts into HttpProtocolOptions. */
export function applyConnectionPool(draft: ClusterDraft, mesh: MeshConfig, settings: ConnectionPoolSettings): void {
  const thresholds = defaultThresholds();
  const http = settings.http;
  const tcp = settings.tcp;
  if (http?.http2MaxRequests && http.http2MaxRequests > 0) thresholds.max_requests = http.http2MaxRequests;
  if (http?.http1MaxPendingRequests && http.http1MaxPendingRequests > 0) thresholds.max_pending_requests = http.http1MaxPendingRequests;
  if (http?.maxRetries && http.maxRetries > 0) thresholds.max_retries = http.maxRetries;
  let idleTimeout = http?.idleTimeout;
  const maxRequestsPerConnection = http?.maxRequestsPerConnection ?? 0;
  draft.cluster.connect_timeout = toProtoDuration(mesh.connectTimeout);
  if (tcp?.connectTimeout) draft.cluster.connect_timeout = toProtoDuration(tcp.connectTimeout);
  if (tcp?.maxConnections && tcp.maxConnections > 0) thresholds.max_connections = tcp.maxConnections;
  idleTimeout ??= tcp?.idleTimeout;
  const maxConnectionDuration = tcp?.maxConnectionDuration;
  if (tcp?.tcpKeepalive) {
    const k = tcp.tcpKeepalive;
    const keepalive: Json = {};
    if (k.probes) keepalive.keepalive_probes = k.probes;
    if (k.time) keepalive.keepalive_time = durationSeconds(k.time);
    if (k.interval) keepalive.keepalive_interval = durationSeconds(k.interval);
    draft.cluster.upstream_connection_options = { tcp_keepalive: keepalive };
  }
  draft.cluster.circuit_breakers = { thresholds: [thresholds] };
  if (idleTimeout || maxRequestsPerConnection > 0 || maxConnectionDuration) {
    draft.httpOptions ??= {};
    const common: Json = { ...(draft.httpOptions.common_http_protocol_options as Json | undefined) };
    if (idleTimeout) common.idle_timeout = toProtoDuration(idleTimeout);
    if (maxRequestsPerConnection > 0) common.max_requests_per_connection = maxRequestsPerConnection;
    if (maxConnectionDuration) common.max_connection_duration = toProtoDuration(maxConnectionDuration);
    draft.httpOptions.common_http_protocol_options = common;
    const h2 = (draft.httpOptions.explicit_http_config as Json | undefined)?.http2_protocol_options as Json | undefined;
    if (h2 && http?.maxConcurrentStreams) h2.max_concurrent_streams = http.maxConcurrentStreams;
  }
  if (http?.useClientProtocol) setUseDownstreamProtocol(draft);
}

/** Istio `shouldH2Upgrade`: DestinationRule h2UpgradePolicy UPGRADE on an HTTP port (mesh default: DO_NOT_UPGRADE). */
function applyH2Upgrade(draft: ClusterDraft, protocol: Protocol, pool: ConnectionPoolSettings): void {
  const http = pool.http;
  if (!http || http.useClientProtocol) return;
  if (http.h2UpgradePolicy === 'UPGRADE' && isHttpProtocol(protocol)) setH2(draft);
}

/** Istio `applyOutlierDetection`: 5xx / gateway-error ejection enforced at 100 %, success-rate ejection off, minHealthPercent → panic threshold. */
export function applyOutlierDetection(cluster: Json, outlier: OutlierDetection | undefined): void {
  if (!outlier) return;
  const out: Json = { enforcing_success_rate: 0 };
  if (outlier.consecutive5xxErrors !== undefined) {
    out.consecutive_5xx = outlier.consecutive5xxErrors;
    out.enforcing_consecutive_5xx = outlier.consecutive5xxErrors > 0 ? 100 : 0;
  }
  if (outlier.consecutiveGatewayErrors !== undefined) {
    out.consecutive_gateway_failure = outlier.consecutiveGatewayErrors;
    out.enforcing_consecutive_gateway_failure = outlier.consecutiveGatewayErrors > 0 ? 100 : 0;
  }
  if (outlier.interval) out.interval = toProtoDuration(outlier.interval);
  if (outlier.baseEjectionTime) out.base_ejection_time = toProtoDuration(outlier.baseEjectionTime);
  if (outlier.maxEjectionPercent && outlier.maxEjectionPercent > 0) out.max_ejection_percent = outlier.maxEjectionPercent;
  if (outlier.splitExternalLocalOriginErrors) {
    out.split_external_local_origin_errors = true;
    if (outlier.consecutiveLocalOriginFailures && outlier.consecutiveLocalOriginFailures > 0) {
      out.consecutive_local_origin_failure = outlier.consecutiveLocalOriginFailures;
      out.enforcing_consecutive_local_origin_failure = 100;
    }
    out.enforcing_local_origin_success_rate = 0;
  }
  cluster.outlier_detection = out;
  // minHealthPercent (default 0) becomes the panic threshold, so ejection can take every host.
  const common = (cluster.common_lb_config as Json | undefined) ?? {};
  common.healthy_panic_threshold = { value: outlier.minHealthPercent ?? 0 };
  cluster.common_lb_config = common;
}

function slowStart(lb: LoadBalancerSettings): Json | undefined {
  if (lb.warmup?.duration) {
    return {
      slow_start_window: toProtoDuration(lb.warmup.duration),
      ...(lb.warmup.aggression !== undefined ? { aggression: { default_value: lb.warmup.aggression, runtime_key: '(' } } : {}),
      min_weight_percent: { value: lb.warmup.minimumPercent ?? 10 },
    };
  }
  if (lb.warmupDurationSecs) return { slow_start_window: toProtoDuration(lb.warmupDurationSecs) };
  return undefined;
}

/** Istio `applyLoadBalancer` + `ApplyRingHashLoadBalancer`: LEAST_REQUEST by default, consistent hash → RING_HASH / MAGLEV. */
export function applyLoadBalancer(cluster: Json, lb: LoadBalancerSettings | undefined, localityWeighted: boolean): void {
  if (cluster.lb_policy === 'CLUSTER_PROVIDED') return;
  if (localityWeighted) {
    cluster.common_lb_config = { ...(cluster.common_lb_config as Json), locality_weighted_lb_config: {} };
  }
  if (cluster.type === 'ORIGINAL_DST') {
    cluster.lb_policy = 'CLUSTER_PROVIDED';
    return;
  }
  const start = lb ? slowStart(lb) : undefined;
  switch (lb?.simple) {
    case 'RANDOM':
      cluster.lb_policy = 'RANDOM';
      break;
    case 'ROUND_ROBIN':
      delete cluster.lb_policy; // ROUND_ROBIN is the proto default
      if (start) cluster.round_robin_lb_config = { slow_start_config: start };
      break;
    case 'PASSTHROUGH':
      cluster.lb_policy = 'CLUSTER_PROVIDED';
      cluster.type = 'ORIGINAL_DST';
      delete cluster.load_assignment;
      delete cluster.eds_cluster_config;
      break;
    default:
      // LEAST_CONN, LEAST_REQUEST and unset: Istio's default is LEAST_REQUEST.
      cluster.lb_policy = 'LEAST_REQUEST';
      if (start) cluster.least_request_lb_config = { slow_start_config: start };
  }
  const hash = lb?.consistentHash;
  if (!hash) return;
  delete cluster.round_robin_lb_config;
  delete cluster.least_request_lb_config;
  if (hash.maglev) {
    cluster.lb_policy = 'MAGLEV';
    if (hash.maglev.tableSize) cluster.maglev_lb_config = { table_size: String(hash.maglev.tableSize) };
  } else if (hash.ringHash) {
    cluster.lb_policy = 'RING_HASH';
    if (hash.ringHash.minimumRingSize) cluster.ring_hash_lb_config = { minimum_ring_size: String(hash.ringHash.minimumRingSize) };
  } else {
    cluster.lb_policy = 'RING_HASH';
    cluster.ring_hash_lb_config = { minimum_ring_size: String(hash.minimumRingSize || 1024) };
  }
}

export interface PolicyOptions {
  readonly mesh: MeshConfig;
  readonly direction: Direction;
  readonly protocol: Protocol;
}

/**
 * Istio `GetEffectiveLbSetting`: the DestinationRule's localityLbSetting, else the mesh's;
 * undefined when the applicable one has `enabled: false`.
 */
export function effectiveLocalitySetting(lb: LoadBalancerSettings | undefined, mesh: MeshConfig): LocalityLoadBalancerSetting | undefined {
  const setting = lb?.localityLbSetting ?? mesh.localityLbSetting;
  return setting.enabled === false ? undefined : setting;
}

/** Istio `applyTrafficPolicy` (TLS and PROXY protocol are not generated by Skein). */
export function applyTrafficPolicy(draft: ClusterDraft, policy: TrafficPolicy | undefined, opts: PolicyOptions): void {
  const pool = policy?.connectionPool ?? {};
  if (opts.direction === 'outbound') applyH2Upgrade(draft, opts.protocol, pool);
  applyConnectionPool(draft, opts.mesh, pool);
  if (opts.direction === 'outbound') {
    applyOutlierDetection(draft.cluster, policy?.outlierDetection);
    // LocalityLBSettings.ApplyToCluster: weighted localities for `distribute`, or for failover
    // (which needs outlier detection, else Envoy never leaves priority 0).
    const setting = effectiveLocalitySetting(policy?.loadBalancer, opts.mesh);
    const failover = setting?.failover !== undefined || setting?.failoverPriority !== undefined;
    const weighted = setting !== undefined && (setting.distribute !== undefined || (Boolean(draft.cluster.outlier_detection) && failover));
    applyLoadBalancer(draft.cluster, policy?.loadBalancer, weighted);
  }
  if (draft.cluster.type === 'ORIGINAL_DST') draft.cluster.lb_policy = 'CLUSTER_PROVIDED';
}

/** Istio `clusterWrapper.build`: HttpProtocolOptions default to explicit HTTP/1.1 when no upstream protocol was chosen. */
export function finishCluster(draft: ClusterDraft): Json {
  if (draft.httpOptions) {
    const options = draft.httpOptions;
    if (!options.explicit_http_config && !options.use_downstream_protocol_config && !options.auto_config) {
      options.explicit_http_config = { http_protocol_options: {} };
    }
    draft.cluster.typed_extension_protocol_options = { [HTTP_PROTOCOL_OPTIONS]: typedConfig(HTTP_PROTOCOL_OPTIONS, options) };
  }
  return draft.cluster;
}
