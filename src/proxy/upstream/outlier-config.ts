/**
 * Cluster.outlier_detection with Envoy's defaults (envoy/config/cluster/v3/outlier_detection.proto,
 * DetectorConfig in source/common/upstream/outlier_detection_impl.cc): consecutive_5xx,
 * consecutive_gateway_failure and consecutive_local_origin_failure 5; interval 10 s;
 * base_ejection_time 30 s; max_ejection_time 300 s (or base_ejection_time if larger);
 * max_ejection_percent 10; success rate over ≥ 5 hosts with ≥ 100 requests, stdev factor 1900
 * (÷ 1000); failure percentage 85 over ≥ 5 hosts with ≥ 50 requests. Enforcement defaults:
 * consecutive 5xx, success rate and both local-origin detectors 100 %, gateway failure and both
 * failure-percentage detectors 0 %.
 */
import { durationMs } from '../../xds/duration.js';
import type { OutlierDetection__Output } from '../../xds/generated/envoy/config/cluster/v3/OutlierDetection.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';

export interface OutlierSettings {
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionTimeMs: number;
  readonly maxEjectionTimeJitterMs: number;
  readonly maxEjectionPercent: number;
  readonly alwaysEjectOneHost: boolean;
  readonly consecutive5xx: number;
  readonly consecutiveGatewayFailure: number;
  readonly consecutiveLocalOriginFailure: number;
  readonly splitExternalLocalOriginErrors: boolean;
  readonly successRateMinimumHosts: number;
  readonly successRateRequestVolume: number;
  /** success_rate_stdev_factor / 1000. */
  readonly successRateStdevFactor: number;
  readonly failurePercentageThreshold: number;
  readonly failurePercentageMinimumHosts: number;
  readonly failurePercentageRequestVolume: number;
  readonly enforcingConsecutive5xx: number;
  readonly enforcingConsecutiveGatewayFailure: number;
  readonly enforcingSuccessRate: number;
  readonly enforcingConsecutiveLocalOriginFailure: number;
  readonly enforcingLocalOriginSuccessRate: number;
  readonly enforcingFailurePercentage: number;
  readonly enforcingFailurePercentageLocalOrigin: number;
  readonly successfulActiveHealthCheckUnejectHost: boolean;
}

const SUPPORTED = [
  'consecutive_5xx',
  'interval',
  'base_ejection_time',
  'max_ejection_percent',
  'enforcing_consecutive_5xx',
  'enforcing_success_rate',
  'success_rate_minimum_hosts',
  'success_rate_request_volume',
  'success_rate_stdev_factor',
  'consecutive_gateway_failure',
  'enforcing_consecutive_gateway_failure',
  'split_external_local_origin_errors',
  'consecutive_local_origin_failure',
  'enforcing_consecutive_local_origin_failure',
  'enforcing_local_origin_success_rate',
  'failure_percentage_threshold',
  'enforcing_failure_percentage',
  'enforcing_failure_percentage_local_origin',
  'failure_percentage_minimum_hosts',
  'failure_percentage_request_volume',
  'max_ejection_time',
  'max_ejection_time_jitter',
  'successful_active_health_check_uneject_host',
  'always_eject_one_host',
];

/** PGV `lte: 100` on every percentage. */
const PERCENT_FIELDS = [
  'max_ejection_percent',
  'enforcing_consecutive_5xx',
  'enforcing_success_rate',
  'enforcing_consecutive_gateway_failure',
  'enforcing_consecutive_local_origin_failure',
  'enforcing_local_origin_success_rate',
  'failure_percentage_threshold',
  'enforcing_failure_percentage',
  'enforcing_failure_percentage_local_origin',
] as const;

export function parseOutlierDetection(
  config: OutlierDetection__Output,
  path: FieldPath,
  errors: ConfigError[],
): OutlierSettings | undefined {
  const before = errors.length;
  checkSupported('envoy.config.cluster.v3.OutlierDetection', config, SUPPORTED, path, errors);
  for (const field of PERCENT_FIELDS) {
    const value = config[field]?.value;
    if (value !== undefined && value > 100)
      errors.push({ path: [...path, field, 'value'], message: 'must be at most 100' });
  }
  for (const field of ['interval', 'base_ejection_time', 'max_ejection_time'] as const) {
    const value = config[field];
    if (value && !(durationMs(value, 0) > 0))
      errors.push({ path: [...path, field], message: 'must be greater than 0' });
  }
  const u32 = (value: { value: number } | null, fallback: number): number => value?.value ?? fallback;
  const baseEjectionTimeMs = durationMs(config.base_ejection_time, 30_000);
  const maxEjectionTimeMs = durationMs(config.max_ejection_time, Math.max(300_000, baseEjectionTimeMs));
  if (maxEjectionTimeMs < baseEjectionTimeMs) {
    errors.push({
      path: [...path, 'max_ejection_time'],
      message: "outlier detector's max_ejection_time cannot be smaller than base_ejection_time",
    });
  }
  if (errors.length > before) return undefined;
  return {
    intervalMs: durationMs(config.interval, 10_000),
    baseEjectionTimeMs,
    maxEjectionTimeMs,
    maxEjectionTimeJitterMs: durationMs(config.max_ejection_time_jitter, 0),
    maxEjectionPercent: u32(config.max_ejection_percent, 10),
    alwaysEjectOneHost: config.always_eject_one_host?.value ?? false,
    consecutive5xx: u32(config.consecutive_5xx, 5),
    consecutiveGatewayFailure: u32(config.consecutive_gateway_failure, 5),
    consecutiveLocalOriginFailure: u32(config.consecutive_local_origin_failure, 5),
    splitExternalLocalOriginErrors: config.split_external_local_origin_errors,
    successRateMinimumHosts: u32(config.success_rate_minimum_hosts, 5),
    successRateRequestVolume: u32(config.success_rate_request_volume, 100),
    successRateStdevFactor: u32(config.success_rate_stdev_factor, 1900) / 1000,
    failurePercentageThreshold: u32(config.failure_percentage_threshold, 85),
    failurePercentageMinimumHosts: u32(config.failure_percentage_minimum_hosts, 5),
    failurePercentageRequestVolume: u32(config.failure_percentage_request_volume, 50),
    enforcingConsecutive5xx: u32(config.enforcing_consecutive_5xx, 100),
    enforcingConsecutiveGatewayFailure: u32(config.enforcing_consecutive_gateway_failure, 0),
    enforcingSuccessRate: u32(config.enforcing_success_rate, 100),
    enforcingConsecutiveLocalOriginFailure: u32(config.enforcing_consecutive_local_origin_failure, 100),
    enforcingLocalOriginSuccessRate: u32(config.enforcing_local_origin_success_rate, 100),
    enforcingFailurePercentage: u32(config.enforcing_failure_percentage, 0),
    enforcingFailurePercentageLocalOrigin: u32(config.enforcing_failure_percentage_local_origin, 0),
    successfulActiveHealthCheckUnejectHost: config.successful_active_health_check_uneject_host?.value ?? true,
  };
}
