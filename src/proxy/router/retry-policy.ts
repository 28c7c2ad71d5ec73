/**
 * route.v3.RetryPolicy compiled for the router: which outcomes are retried (`retry_on`), how
 * often, with which per-try timeouts and back-off, and which hosts a retry may pick. A route's
 * policy replaces its virtual host's entirely (RouteAction.retry_policy: "takes precedence
 * over the virtual host level retry policy entirely").
 *
 * `retry_on` values are Envoy's, verbatim: the HTTP ones (x-envoy-retry-on) and the gRPC ones
 * (x-envoy-retry-grpc-on) share one bit set, as Envoy's RetryPolicy::RETRY_ON_* do.
 */
import type { PreviousHostsPredicate__Output } from '../../xds/generated/envoy/extensions/retry/host/previous_hosts/v3/PreviousHostsPredicate.js';
import type { RetryPolicy__Output } from '../../xds/generated/envoy/config/route/v3/RetryPolicy.js';
import { durationMs } from '../../xds/duration.js';
import { unpackAny } from '../../xds/protos.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { compileHeaderMatcher, type HeaderPredicate } from '../matchers/header-matcher.js';

export const RetryOn = {
  FiveXx: 1 << 0,
  GatewayError: 1 << 1,
  ConnectFailure: 1 << 2,
  Retriable4xx: 1 << 3,
  RefusedStream: 1 << 4,
  RetriableStatusCodes: 1 << 5,
  RetriableHeaders: 1 << 6,
  Reset: 1 << 7,
  ResetBeforeRequest: 1 << 8,
  EnvoyRateLimited: 1 << 9,
  Http3PostConnectFailure: 1 << 10,
  GrpcCancelled: 1 << 11,
  GrpcDeadlineExceeded: 1 << 12,
  GrpcResourceExhausted: 1 << 13,
  GrpcUnavailable: 1 << 14,
  GrpcInternal: 1 << 15,
} as const;

const HTTP_RETRY_ON: Readonly<Record<string, number>> = {
  '5xx': RetryOn.FiveXx,
  'gateway-error': RetryOn.GatewayError,
  'connect-failure': RetryOn.ConnectFailure,
  'retriable-4xx': RetryOn.Retriable4xx,
  'refused-stream': RetryOn.RefusedStream,
  'retriable-status-codes': RetryOn.RetriableStatusCodes,
  'retriable-headers': RetryOn.RetriableHeaders,
  reset: RetryOn.Reset,
  'reset-before-request': RetryOn.ResetBeforeRequest,
  'envoy-ratelimited': RetryOn.EnvoyRateLimited,
  'http3-post-connect-failure': RetryOn.Http3PostConnectFailure,
};

const GRPC_RETRY_ON: Readonly<Record<string, number>> = {
  cancelled: RetryOn.GrpcCancelled,
  'deadline-exceeded': RetryOn.GrpcDeadlineExceeded,
  'resource-exhausted': RetryOn.GrpcResourceExhausted,
  unavailable: RetryOn.GrpcUnavailable,
  internal: RetryOn.GrpcInternal,
};

/** Envoy's base back-off (upstream.base_retry_backoff_ms) when retry_back_off is unset. */
export const DEFAULT_BASE_INTERVAL_MS = 25;
const PREVIOUS_HOSTS_TYPE = 'envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate';

export interface CompiledRetryPolicy {
  readonly retryOn: number;
  /** `num_retries`, 1 when unset (route_components.proto). */
  readonly numRetries: number;
  /** 0 = none (the route timeout bounds every try). */
  readonly perTryTimeoutMs: number;
  readonly perTryIdleTimeoutMs: number;
  readonly retriableStatusCodes: readonly number[];
  /** Response headers that make a response retriable under `retriable-headers`. */
  readonly retriableHeaders: readonly HeaderPredicate[];
  /** When non-empty, only requests matching one of these are retried at all. */
  readonly retriableRequestHeaders: readonly HeaderPredicate[];
  readonly baseIntervalMs: number;
  /** 10 × base unless set. */
  readonly maxIntervalMs: number;
  /** `envoy.retry_host_predicates.previous_hosts`: a retry avoids hosts already tried. */
  readonly avoidPreviousHosts: boolean;
  /** How many times host selection is re-run while a predicate rejects the host (default 1). */
  readonly hostSelectionMaxAttempts: number;
}

const SUPPORTED = [
  'retry_on',
  'num_retries',
  'per_try_timeout',
  'per_try_idle_timeout',
  'retry_host_predicate',
  'host_selection_retry_max_attempts',
  'retriable_status_codes',
  'retry_back_off',
  'retriable_headers',
  'retriable_request_headers',
] as const;

export function compileRetryPolicy(
  policy: RetryPolicy__Output,
  path: FieldPath,
  errors: ConfigError[],
): CompiledRetryPolicy | undefined {
  const before = errors.length;
  checkSupported('envoy.config.route.v3.RetryPolicy', policy, SUPPORTED, path, errors);
  let retryOn = 0;
  for (const token of splitList(policy.retry_on)) {
    const bit = HTTP_RETRY_ON[token] ?? GRPC_RETRY_ON[token];
    if (bit === undefined) {
      errors.push({ path: [...path, 'retry_on'], message: `unknown retry_on value '${token}'` });
    } else {
      retryOn |= bit;
    }
  }
  const baseIntervalMs = durationMs(policy.retry_back_off?.base_interval, DEFAULT_BASE_INTERVAL_MS);
  if (policy.retry_back_off && baseIntervalMs <= 0) {
    errors.push({ path: [...path, 'retry_back_off', 'base_interval'], message: 'must be greater than 0' });
  }
  const maxIntervalMs = durationMs(policy.retry_back_off?.max_interval, baseIntervalMs * 10);
  if (maxIntervalMs < baseIntervalMs) {
    errors.push({
      path: [...path, 'retry_back_off', 'max_interval'],
      message: 'must be greater than or equal to base_interval',
    });
  }
  for (const [i, code] of policy.retriable_status_codes.entries()) {
    if (code < 100 || code > 599)
      errors.push({ path: [...path, 'retriable_status_codes', i], message: `invalid status code ${code}` });
  }
  const retriableHeaders = compileMatchers(policy.retriable_headers, [...path, 'retriable_headers'], errors);
  const retriableRequestHeaders = compileMatchers(
    policy.retriable_request_headers,
    [...path, 'retriable_request_headers'],
    errors,
  );
  let avoidPreviousHosts = false;
  policy.retry_host_predicate.forEach((predicate, i) => {
    const at = [...path, 'retry_host_predicate', i];
    const any = predicate.typed_config;
    const unpacked = any ? unpackAny<PreviousHostsPredicate__Output>(any) : undefined;
    if (unpacked?.ok && unpacked.typeName === PREVIOUS_HOSTS_TYPE) avoidPreviousHosts = true;
    else
      errors.push({
        path: [...at, 'typed_config'],
        message: `unsupported retry host predicate${any ? ` '${any.type_url}'` : ''}; Skein implements ${PREVIOUS_HOSTS_TYPE}`,
      });
  });
  if (errors.length > before) return undefined;
  return {
    retryOn,
    numRetries: policy.num_retries?.value ?? 1,
    perTryTimeoutMs: durationMs(policy.per_try_timeout, 0),
    perTryIdleTimeoutMs: durationMs(policy.per_try_idle_timeout, 0),
    retriableStatusCodes: policy.retriable_status_codes,
    retriableHeaders,
    retriableRequestHeaders,
    baseIntervalMs,
    maxIntervalMs,
    avoidPreviousHosts,
    hostSelectionMaxAttempts: Math.max(1, Number(policy.host_selection_retry_max_attempts) || 1),
  };
}

/** x-envoy-retry-on / x-envoy-retry-grpc-on header values; unknown tokens are ignored, as Envoy does. */
export function parseRetryOnHeader(value: string, grpc: boolean): number {
  const table = grpc ? GRPC_RETRY_ON : HTTP_RETRY_ON;
  let bits = 0;
  for (const token of splitList(value)) bits |= table[token] ?? 0;
  return bits;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

function compileMatchers(
  matchers: RetryPolicy__Output['retriable_headers'],
  path: FieldPath,
  errors: ConfigError[],
): HeaderPredicate[] {
  const compiled: HeaderPredicate[] = [];
  matchers.forEach((matcher, i) => {
    const predicate = compileHeaderMatcher(matcher, [...path, i], errors);
    if (predicate) compiled.push(predicate);
  });
  return compiled;
}
