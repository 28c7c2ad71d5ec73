/**
 * `envoy.extensions.filters.http.fault.v3.HTTPFault` compiled into what one fault filter (or one
 * route's override) injects: Envoy's FaultSettings with the delay and abort providers of
 * filters/common/fault/fault_config.cc. Header-controlled faults (`header_delay`,
 * `header_abort`) read the x-envoy-fault-* request headers, and only then may the
 * `-percentage` headers lower the configured percentage.
 */
import type { FaultDelay__Output } from '../../../xds/generated/envoy/extensions/filters/common/fault/v3/FaultDelay.js';
import type { FaultAbort__Output } from '../../../xds/generated/envoy/extensions/filters/http/fault/v3/FaultAbort.js';
import type { HTTPFault__Output } from '../../../xds/generated/envoy/extensions/filters/http/fault/v3/HTTPFault.js';
import type { Duration__Output } from '../../../xds/generated/google/protobuf/Duration.js';
import type { FieldPath } from '../../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../../config/config-error.js';
import { compileHeaderMatcher, type HeaderPredicate } from '../../matchers/header-matcher.js';
import { compileFractionalPercent, type Fraction } from './fractional-percent.js';

export const HTTP_FAULT = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

/** The request headers that control header_delay and header_abort faults. */
export const FaultHeaders = {
  abortRequest: 'x-envoy-fault-abort-request',
  abortRequestPercentage: 'x-envoy-fault-abort-request-percentage',
  abortGrpcRequest: 'x-envoy-fault-abort-grpc-request',
  delayRequest: 'x-envoy-fault-delay-request',
  delayRequestPercentage: 'x-envoy-fault-delay-request-percentage',
} as const;

export type FaultDelay =
  | { readonly kind: 'fixed'; readonly ms: number; readonly percentage: Fraction }
  | { readonly kind: 'header'; readonly percentage: Fraction };

export type FaultAbort =
  | { readonly kind: 'http'; readonly status: number; readonly percentage: Fraction }
  | { readonly kind: 'grpc'; readonly grpcStatus: number; readonly percentage: Fraction }
  | { readonly kind: 'header'; readonly percentage: Fraction };

/** A class, so the filter can tell its per-route configs apart from other filters'. */
export class FaultSettings {
  readonly delay: FaultDelay | undefined;
  readonly abort: FaultAbort | undefined;
  readonly upstreamCluster: string;
  /** Every matcher must hold (HeaderUtility::matchHeaders). */
  readonly headers: readonly HeaderPredicate[];
  /** Empty: faults apply to every downstream node. */
  readonly downstreamNodes: ReadonlySet<string>;
  /** undefined: unlimited. */
  readonly maxActiveFaults: number | undefined;
  readonly disableDownstreamClusterStats: boolean;

  constructor(fields: {
    delay: FaultDelay | undefined;
    abort: FaultAbort | undefined;
    upstreamCluster: string;
    headers: readonly HeaderPredicate[];
    downstreamNodes: ReadonlySet<string>;
    maxActiveFaults: number | undefined;
    disableDownstreamClusterStats: boolean;
  }) {
    this.delay = fields.delay;
    this.abort = fields.abort;
    this.upstreamCluster = fields.upstreamCluster;
    this.headers = fields.headers;
    this.downstreamNodes = fields.downstreamNodes;
    this.maxActiveFaults = fields.maxActiveFaults;
    this.disableDownstreamClusterStats = fields.disableDownstreamClusterStats;
  }
}

const SUPPORTED = [
  'delay',
  'abort',
  'upstream_cluster',
  'headers',
  'downstream_nodes',
  'max_active_faults',
  'disable_downstream_cluster_stats',
  // Runtime keys only name where a runtime override would be read; Skein has no runtime layer, so
  // the configured values always apply, as in an Envoy whose runtime sets none of these keys.
  'delay_percent_runtime',
  'abort_percent_runtime',
  'delay_duration_runtime',
  'abort_http_status_runtime',
  'max_active_faults_runtime',
  'response_rate_limit_percent_runtime',
  'abort_grpc_status_runtime',
];

export function compileFaultSettings(
  fault: HTTPFault__Output,
  path: FieldPath,
  errors: ConfigError[],
): FaultSettings | undefined {
  const before = errors.length;
  checkSupported(HTTP_FAULT, fault, SUPPORTED, path, errors);
  const delay = fault.delay ? compileDelay(fault.delay, [...path, 'delay'], errors) : undefined;
  const abort = fault.abort ? compileAbort(fault.abort, [...path, 'abort'], errors) : undefined;
  const headers: HeaderPredicate[] = [];
  fault.headers.forEach((matcher, i) => {
    const compiled = compileHeaderMatcher(matcher, [...path, 'headers', i], errors);
    if (compiled) headers.push(compiled);
  });
  if (errors.length > before) return undefined;
  return new FaultSettings({
    delay,
    abort,
    upstreamCluster: fault.upstream_cluster,
    headers,
    downstreamNodes: new Set(fault.downstream_nodes),
    maxActiveFaults: fault.max_active_faults?.value,
    disableDownstreamClusterStats: fault.disable_downstream_cluster_stats,
  });
}

function compileDelay(delay: FaultDelay__Output, path: FieldPath, errors: ConfigError[]): FaultDelay | undefined {
  checkSupported(
    'envoy.extensions.filters.common.fault.v3.FaultDelay',
    delay,
    ['fixed_delay', 'header_delay', 'percentage'],
    path,
    errors,
  );
  const percentage = compileFractionalPercent(delay.percentage, [...path, 'percentage'], errors);
  if (!percentage) return undefined;
  switch (delay.fault_delay_secifier) {
    case 'fixed_delay': {
      const fixed = delay.fixed_delay;
      const seconds = Number(fixed?.seconds ?? 0);
      if (!fixed || !(seconds > 0 || (seconds === 0 && fixed.nanos > 0))) {
        errors.push({ path: [...path, 'fixed_delay'], message: 'fixed_delay must be greater than 0s' });
        return undefined;
      }
      return { kind: 'fixed', ms: truncatedMs(fixed), percentage };
    }
    case 'header_delay':
      return { kind: 'header', percentage };
    default:
      errors.push({ path, message: 'one of fixed_delay or header_delay is required' });
      return undefined;
  }
}

function compileAbort(abort: FaultAbort__Output, path: FieldPath, errors: ConfigError[]): FaultAbort | undefined {
  checkSupported(
    'envoy.extensions.filters.http.fault.v3.FaultAbort',
    abort,
    ['http_status', 'grpc_status', 'header_abort', 'percentage'],
    path,
    errors,
  );
  const percentage = compileFractionalPercent(abort.percentage, [...path, 'percentage'], errors);
  if (!percentage) return undefined;
  switch (abort.error_type) {
    case 'http_status': {
      const status = abort.http_status ?? 0;
      if (status < 200 || status >= 600) {
        errors.push({ path: [...path, 'http_status'], message: 'http_status must be in [200, 600)' });
        return undefined;
      }
      return { kind: 'http', status, percentage };
    }
    case 'grpc_status':
      return { kind: 'grpc', grpcStatus: abort.grpc_status ?? 0, percentage };
    case 'header_abort':
      return { kind: 'header', percentage };
    default:
      errors.push({ path, message: 'one of http_status, grpc_status or header_abort is required' });
      return undefined;
  }
}

/** PROTOBUF_GET_MS_REQUIRED: whole milliseconds, sub-millisecond parts dropped. */
function truncatedMs(duration: Duration__Output): number {
  return Number(duration.seconds) * 1000 + Math.floor(duration.nanos / 1e6);
}

/**
 * An untrusted header's unsigned integer, first value only (absl::SimpleAtoi: surrounding
 * whitespace and a leading '+' are allowed); undefined when it is not one.
 */
export function headerUint(value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const match = /^[ \t\n\v\f\r]*\+?(\d+)[ \t\n\v\f\r]*$/.exec(value);
  if (!match) return undefined;
  const parsed = Number(match[1]);
  return parsed <= max ? parsed : undefined;
}

export const UINT32_MAX = 0xffff_ffff;
/** Larger uint64 values cannot be represented exactly; they are rejected like an overflow. */
export const UINT64_SAFE_MAX = Number.MAX_SAFE_INTEGER;

/** HeaderPercentageProvider: the header's numerator, capped at the configured one. */
export function headerPercentage(configured: Fraction, header: string | undefined): Fraction {
  const numerator = headerUint(header, UINT32_MAX);
  if (numerator === undefined) return configured;
  return { numerator: Math.min(numerator, configured.numerator), denominator: configured.denominator };
}
