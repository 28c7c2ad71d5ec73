/**
 * Validates an Envoy v3 Cluster and extracts what Skein implements, with Envoy's defaults
 * (cluster.proto): connect_timeout 5 s, dns_refresh_rate 5 s, cleanup_interval 5 s, healthy
 * panic threshold 50 %, upstream idle_timeout 1 h, no per-connection request limit. Every set
 * field Skein does not implement is an error naming its path.
 */

import { durationMs } from '../../xds/duration.js';
import type { _envoy_config_cluster_v3_CircuitBreakers_Thresholds__Output as Thresholds } from '../../xds/generated/envoy/config/cluster/v3/CircuitBreakers.js';
import type { Cluster__Output } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';
import type { HttpProtocolOptions__Output } from '../../xds/generated/envoy/extensions/upstreams/http/v3/HttpProtocolOptions.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { unpackAny } from '../../xds/protos.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { DEFAULT_IDLE_TIMEOUT_MS } from './conn-pool.js';
import type { DnsLookupFamilyName } from './dns.js';
import { type HealthCheckSettings, parseHealthChecks } from './health-check-config.js';
import { lookupLoadBalancer } from './lb-registry.js';
import {
  type AddressKind,
  EMPTY_ASSIGNMENT,
  type ParsedAssignment,
  parseLoadAssignment,
} from './load-assignment.js';
import { type OutlierSettings, parseOutlierDetection } from './outlier-config.js';

export type DiscoveryType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
export const DEFAULT_DNS_REFRESH_RATE_MS = 5000;
export const DEFAULT_CLEANUP_INTERVAL_MS = 5000;
export const DEFAULT_PANIC_THRESHOLD = 50;
export const HTTP_PROTOCOL_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const HTTP_PROTOCOL_OPTIONS_TYPE = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
export const DEFAULT_ORIGINAL_DST_HEADER = 'x-envoy-original-dst-host';

export interface ClusterSettings {
  readonly name: string;
  /** alt_stat_name, else the name: what stats are named by. */
  readonly statName: string;
  readonly type: DiscoveryType;
  readonly lbPolicy: string;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxRequestsPerConnection: number;
  readonly panicThreshold: number;
  readonly localityWeighted: boolean;
  readonly dnsRefreshRateMs: number;
  readonly respectDnsTtl: boolean;
  readonly dnsLookupFamily: DnsLookupFamilyName;
  readonly cleanupIntervalMs: number;
  readonly waitForWarmOnInit: boolean;
  /** EDS: the ClusterLoadAssignment name it listens for (service_name, else the cluster name). */
  readonly edsServiceName: string;
  readonly originalDstHeaderName: string | undefined;
  readonly originalDstPortOverride: number | undefined;
  readonly thresholds: readonly Thresholds[];
  /** outlier_detection; undefined when the cluster has none. */
  readonly outlierDetection: OutlierSettings | undefined;
  /** health_checks[0]; undefined when the cluster has none. */
  readonly healthCheck: HealthCheckSettings | undefined;
  /** STATIC / STRICT_DNS / LOGICAL_DNS endpoints. */
  readonly loadAssignment: ParsedAssignment;
}

const SUPPORTED_CLUSTER_FIELDS = [
  'name',
  'type',
  'eds_cluster_config',
  'connect_timeout',
  'lb_policy',
  'max_requests_per_connection',
  'circuit_breakers',
  'dns_refresh_rate',
  'dns_lookup_family',
  'respect_dns_ttl',
  'cleanup_interval',
  'common_lb_config',
  'ring_hash_lb_config',
  'maglev_lb_config',
  'least_request_lb_config',
  'round_robin_lb_config',
  'original_dst_lb_config',
  'alt_stat_name',
  'load_assignment',
  'typed_extension_protocol_options',
  'wait_for_warm_on_init',
  'outlier_detection',
  'health_checks',
  // Opaque to the upstream code; kept for filters and config_dump.
  'metadata',
];

function positiveDuration(
  value: Cluster__Output['connect_timeout'],
  fallback: number,
  path: FieldPath,
  errors: ConfigError[],
  minExclusiveMs = 0,
): number {
  const ms = durationMs(value, fallback);
  if (value && !(ms > minExclusiveMs)) {
    errors.push({
      path,
      message: `must be greater than ${minExclusiveMs === 0 ? '0' : `${minExclusiveMs}ms`}`,
    });
  }
  return ms;
}

interface ProtocolOptions {
  idleTimeoutMs: number;
  maxRequestsPerConnection: number | undefined;
}

function parseProtocolOptions(
  config: Cluster__Output,
  path: FieldPath,
  errors: ConfigError[],
): ProtocolOptions {
  const out: ProtocolOptions = {
    idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
    maxRequestsPerConnection: undefined,
  };
  for (const [key, any] of Object.entries(config.typed_extension_protocol_options)) {
    const at = [...path, 'typed_extension_protocol_options', key];
    if (key !== HTTP_PROTOCOL_OPTIONS_KEY) {
      errors.push({ path: at, message: `protocol options '${key}' are not supported by Skein yet` });
      continue;
    }
    const unpacked = unpackAny<HttpProtocolOptions__Output>(any);
    if (!unpacked.ok || unpacked.typeName !== HTTP_PROTOCOL_OPTIONS_TYPE) {
      errors.push({
        path: at,
        message: unpacked.ok
          ? `expected ${HTTP_PROTOCOL_OPTIONS_TYPE}, got ${unpacked.typeName}`
          : unpacked.error,
      });
      continue;
    }
    const options = unpacked.value;
    checkSupported(
      HTTP_PROTOCOL_OPTIONS_TYPE,
      options,
      ['common_http_protocol_options', 'explicit_http_config', 'use_downstream_protocol_config'],
      at,
      errors,
    );
    const downstream = options.use_downstream_protocol_config;
    if (downstream) {
      // "Use the downstream's protocol": Skein's downstream is always HTTP/1.x, so this is
      // HTTP/1.1 upstream; the HTTP/2 options would only apply to HTTP/2 downstreams.
      checkSupported(
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions.UseDownstreamHttpConfig',
        downstream,
        ['http_protocol_options', 'http2_protocol_options'],
        [...at, 'use_downstream_protocol_config'],
        errors,
      );
    }
    const explicit = options.explicit_http_config;
    if (explicit) {
      // Skein's upstream codec speaks HTTP/1.1 only.
      const explicitPath = [...at, 'explicit_http_config'];
      checkSupported(
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig',
        explicit,
        ['http_protocol_options'],
        explicitPath,
        errors,
      );
      if (explicit.http_protocol_options) {
        checkSupported(
          'envoy.config.core.v3.Http1ProtocolOptions',
          explicit.http_protocol_options,
          [],
          [...explicitPath, 'http_protocol_options'],
          errors,
        );
      }
    }
    const common = options.common_http_protocol_options;
    if (common) {
      const commonPath = [...at, 'common_http_protocol_options'];
      checkSupported(
        'envoy.config.core.v3.HttpProtocolOptions',
        common,
        ['idle_timeout', 'max_requests_per_connection'],
        commonPath,
        errors,
      );
      // 0 disables the idle timeout.
      out.idleTimeoutMs = durationMs(common.idle_timeout, DEFAULT_IDLE_TIMEOUT_MS);
      out.maxRequestsPerConnection = common.max_requests_per_connection?.value;
    }
  }
  return out;
}

function checkCommonLbConfig(config: Cluster__Output, path: FieldPath, errors: ConfigError[]): number {
  const common = config.common_lb_config;
  if (!common) return DEFAULT_PANIC_THRESHOLD;
  const at = [...path, 'common_lb_config'];
  checkSupported(
    'envoy.config.cluster.v3.Cluster.CommonLbConfig',
    common,
    ['healthy_panic_threshold', 'locality_weighted_lb_config', 'consistent_hashing_lb_config'],
    at,
    errors,
  );
  if (common.consistent_hashing_lb_config) {
    checkSupported(
      'envoy.config.cluster.v3.Cluster.CommonLbConfig.ConsistentHashingLbConfig',
      common.consistent_hashing_lb_config,
      ['use_hostname_for_hashing'],
      [...at, 'consistent_hashing_lb_config'],
      errors,
    );
  }
  const percent = common.healthy_panic_threshold;
  if (!percent) return DEFAULT_PANIC_THRESHOLD;
  if (!(percent.value >= 0 && percent.value <= 100)) {
    errors.push({ path: [...at, 'healthy_panic_threshold', 'value'], message: 'must be between 0 and 100' });
    return DEFAULT_PANIC_THRESHOLD;
  }
  // PROTOBUF_PERCENT_TO_ROUNDED_INTEGER_OR_DEFAULT
  return Math.round(percent.value);
}

function checkCircuitBreakers(
  config: Cluster__Output,
  path: FieldPath,
  errors: ConfigError[],
): readonly Thresholds[] {
  const breakers = config.circuit_breakers;
  if (!breakers) return [];
  const at = [...path, 'circuit_breakers'];
  checkSupported('envoy.config.cluster.v3.CircuitBreakers', breakers, ['thresholds'], at, errors);
  breakers.thresholds.forEach((t, i) => {
    checkSupported(
      'envoy.config.cluster.v3.CircuitBreakers.Thresholds',
      t,
      [
        'priority',
        'max_connections',
        'max_pending_requests',
        'max_requests',
        'max_retries',
        'track_remaining',
        'retry_budget', // enforced by the router's retry state
      ],
      [...at, 'thresholds', i],
      errors,
    );
    if (t.retry_budget) {
      checkSupported(
        'envoy.config.cluster.v3.CircuitBreakers.Thresholds.RetryBudget',
        t.retry_budget,
        ['budget_percent', 'min_retry_concurrency'],
        [...at, 'thresholds', i, 'retry_budget'],
        errors,
      );
    }
  });
  return breakers.thresholds;
}

export function parseClusterConfig(
  config: Cluster__Output,
  path: FieldPath = [],
): { ok: true; settings: ClusterSettings } | { ok: false; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  checkSupported('envoy.config.cluster.v3.Cluster', config, SUPPORTED_CLUSTER_FIELDS, path, errors);
  if (!config.name) errors.push({ path: [...path, 'name'], message: 'name is required' });
  const type: DiscoveryType =
    config.cluster_discovery_type === 'type' && config.type ? config.type : 'STATIC';
  const lbPolicy = config.lb_policy;

  // ORIGINAL_DST supplies its own balancer, and only it may (original_dst_cluster.cc).
  if (type === 'ORIGINAL_DST' && lbPolicy !== 'CLUSTER_PROVIDED') {
    errors.push({
      path: [...path, 'lb_policy'],
      message: `cluster: LB policy ${lbPolicy} is not valid for Cluster type ORIGINAL_DST. Only 'CLUSTER_PROVIDED' is allowed with cluster type 'ORIGINAL_DST'`,
    });
  } else if (type !== 'ORIGINAL_DST' && lbPolicy === 'CLUSTER_PROVIDED') {
    errors.push({
      path: [...path, 'lb_policy'],
      message: `LB policy CLUSTER_PROVIDED is not valid for Cluster type ${type}`,
    });
  } else if (lbPolicy !== 'CLUSTER_PROVIDED') {
    const factory = lookupLoadBalancer(lbPolicy);
    if (!factory)
      errors.push({
        path: [...path, 'lb_policy'],
        message: `lb_policy ${lbPolicy} is not supported by Skein yet`,
      });
    else factory.validate(config, path, errors);
  }

  const connectTimeoutMs = positiveDuration(
    config.connect_timeout,
    DEFAULT_CONNECT_TIMEOUT_MS,
    [...path, 'connect_timeout'],
    errors,
  );
  const dnsRefreshRateMs = positiveDuration(
    config.dns_refresh_rate,
    DEFAULT_DNS_REFRESH_RATE_MS,
    [...path, 'dns_refresh_rate'],
    errors,
    1,
  );
  const cleanupIntervalMs = positiveDuration(
    config.cleanup_interval,
    DEFAULT_CLEANUP_INTERVAL_MS,
    [...path, 'cleanup_interval'],
    errors,
  );

  const protocol = parseProtocolOptions(config, path, errors);
  let maxRequestsPerConnection = protocol.maxRequestsPerConnection ?? 0;
  if (config.max_requests_per_connection) {
    if (protocol.maxRequestsPerConnection !== undefined) {
      errors.push({
        path: [...path, 'max_requests_per_connection'],
        message:
          'Only one of max_requests_per_connection from Cluster or HttpProtocolOptions can be specified',
      });
    }
    maxRequestsPerConnection = config.max_requests_per_connection.value;
  }

  const panicThreshold = checkCommonLbConfig(config, path, errors);
  const thresholds = checkCircuitBreakers(config, path, errors);
  const outlierDetection = config.outlier_detection
    ? parseOutlierDetection(config.outlier_detection, [...path, 'outlier_detection'], errors)
    : undefined;
  const healthCheck = parseHealthChecks(config.health_checks, [...path, 'health_checks'], errors);

  if (config.eds_cluster_config) {
    checkSupported(
      'envoy.config.cluster.v3.Cluster.EdsClusterConfig',
      config.eds_cluster_config,
      ['eds_config', 'service_name'],
      [...path, 'eds_cluster_config'],
      errors,
    );
  }

  let originalDstHeaderName: string | undefined;
  let originalDstPortOverride: number | undefined;
  const odst = config.original_dst_lb_config;
  if (odst) {
    const at = [...path, 'original_dst_lb_config'];
    checkSupported(
      'envoy.config.cluster.v3.Cluster.OriginalDstLbConfig',
      odst,
      ['use_http_header', 'http_header_name', 'upstream_port_override'],
      at,
      errors,
    );
    if (!odst.use_http_header && odst.http_header_name) {
      errors.push({
        path: [...at, 'http_header_name'],
        message: `ORIGINAL_DST cluster: invalid config http_header_name=${odst.http_header_name} and use_http_header is false. Set use_http_header to true if http_header_name is desired.`,
      });
    }
    if (odst.use_http_header)
      originalDstHeaderName = (odst.http_header_name || DEFAULT_ORIGINAL_DST_HEADER).toLowerCase();
    const port = odst.upstream_port_override?.value;
    if (port !== undefined && port > 65535)
      errors.push({ path: [...at, 'upstream_port_override'], message: 'must be at most 65535' });
    originalDstPortOverride = port;
  }

  let loadAssignment = EMPTY_ASSIGNMENT;
  if (config.load_assignment) {
    const at = [...path, 'load_assignment'];
    if (type === 'ORIGINAL_DST') {
      errors.push({ path: at, message: 'ORIGINAL_DST clusters must have no load assignment configured' });
    } else if (type !== 'EDS') {
      // EDS clusters take endpoints only from EDS; Envoy ignores a load_assignment on them.
      const kind: AddressKind = type === 'STATIC' ? 'ip' : 'dns';
      loadAssignment = parseLoadAssignment(config.load_assignment, at, errors, kind);
    }
  }
  if (type === 'LOGICAL_DNS') {
    const groups = config.load_assignment?.endpoints ?? [];
    if (groups.length !== 1 || groups[0]!.lb_endpoints.length !== 1) {
      errors.push({
        path: [...path, 'load_assignment'],
        message: 'LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint',
      });
    }
  }

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    settings: {
      name: config.name,
      statName: config.alt_stat_name || config.name,
      type,
      lbPolicy,
      connectTimeoutMs,
      idleTimeoutMs: protocol.idleTimeoutMs,
      maxRequestsPerConnection,
      panicThreshold,
      localityWeighted: config.common_lb_config?.locality_config_specifier === 'locality_weighted_lb_config',
      dnsRefreshRateMs,
      respectDnsTtl: config.respect_dns_ttl,
      dnsLookupFamily: config.dns_lookup_family,
      cleanupIntervalMs,
      waitForWarmOnInit: config.wait_for_warm_on_init?.value ?? true,
      edsServiceName: config.eds_cluster_config?.service_name || config.name,
      originalDstHeaderName,
      originalDstPortOverride,
      thresholds,
      outlierDetection,
      healthCheck,
      loadAssignment,
    },
  };
}
