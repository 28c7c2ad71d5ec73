/**
 * Cluster.health_checks (envoy/config/core/v3/health_check.proto) as Envoy's
 * HealthCheckerImplBase and its HTTP and TCP checkers read it: timeout, interval,
 * unhealthy_threshold and healthy_threshold are required; no_traffic_interval defaults to 60 s,
 * no_traffic_healthy_interval to no_traffic_interval, unhealthy_interval to interval,
 * unhealthy_edge_interval to unhealthy_interval, healthy_edge_interval to interval; connections
 * are reused by default. HTTP checks default to GET with expected statuses [200, 201) and the
 * cluster name as host; only the HTTP/1.1 codec is available. Envoy checks one health checker
 * per cluster.
 */
import { durationMs } from '../../xds/duration.js';
import type {
  HealthCheck__Output,
  _envoy_config_core_v3_HealthCheck_HttpHealthCheck__Output as HttpHealthCheck,
  _envoy_config_core_v3_HealthCheck_Payload__Output as Payload,
  _envoy_config_core_v3_HealthCheck_TcpHealthCheck__Output as TcpHealthCheck,
} from '../../xds/generated/envoy/config/core/v3/HealthCheck.js';
import type { Int64Range__Output } from '../../xds/generated/envoy/type/v3/Int64Range.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { checkHeaderValue } from '../matchers/field-checks.js';
import { compileStringMatcher, type StringPredicate } from '../matchers/string-matcher.js';
import { compileHeaderMutations, type HeaderMutations, REQUEST_FIELDS } from '../router/header-mutation.js';

/** Half-open [start, end) status ranges. */
export type StatusRanges = readonly (readonly [number, number])[];

export interface HttpCheckSettings {
  readonly type: 'http';
  /** Empty: the cluster name. */
  readonly host: string;
  readonly path: string;
  readonly method: string;
  readonly send: Buffer | undefined;
  readonly receive: readonly Buffer[];
  /** 0: match the whole body. */
  readonly responseBufferSize: number;
  readonly headers: HeaderMutations | undefined;
  readonly expectedStatuses: StatusRanges;
  readonly retriableStatuses: StatusRanges;
  readonly serviceNameMatcher: StringPredicate | undefined;
}

export interface TcpCheckSettings {
  readonly type: 'tcp';
  /** Empty: connect-only. */
  readonly send: Buffer | undefined;
  readonly receive: readonly Buffer[];
}

export interface HealthCheckSettings {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly initialJitterMs: number;
  readonly intervalJitterMs: number;
  readonly intervalJitterPercent: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  readonly reuseConnection: boolean;
  readonly noTrafficIntervalMs: number;
  readonly noTrafficHealthyIntervalMs: number;
  readonly unhealthyIntervalMs: number;
  readonly unhealthyEdgeIntervalMs: number;
  readonly healthyEdgeIntervalMs: number;
  readonly check: HttpCheckSettings | TcpCheckSettings;
}

const SUPPORTED = [
  'timeout',
  'interval',
  'initial_jitter',
  'interval_jitter',
  'interval_jitter_percent',
  'unhealthy_threshold',
  'healthy_threshold',
  'reuse_connection',
  'http_health_check',
  'tcp_health_check',
  'no_traffic_interval',
  'no_traffic_healthy_interval',
  'unhealthy_interval',
  'unhealthy_edge_interval',
  'healthy_edge_interval',
];

/** HttpHealthCheckerImpl's kDefaultMaxBytesInBuffer. */
const DEFAULT_RESPONSE_BUFFER_SIZE = 1024;

export function parseHealthChecks(
  checks: readonly HealthCheck__Output[],
  path: FieldPath,
  errors: ConfigError[],
): HealthCheckSettings | undefined {
  if (checks.length === 0) return undefined;
  if (checks.length > 1) {
    errors.push({ path, message: 'Multiple health checks not supported' });
    return undefined;
  }
  return parseHealthCheck(checks[0]!, [...path, 0], errors);
}

function parseHealthCheck(
  config: HealthCheck__Output,
  path: FieldPath,
  errors: ConfigError[],
): HealthCheckSettings | undefined {
  const before = errors.length;
  checkSupported('envoy.config.core.v3.HealthCheck', config, SUPPORTED, path, errors);
  const required = (field: 'timeout' | 'interval'): number => {
    const value = config[field];
    if (!value) errors.push({ path: [...path, field], message: `${field} is required` });
    else if (!(durationMs(value, 0) > 0)) errors.push({ path: [...path, field], message: 'must be greater than 0' });
    return durationMs(value, 0);
  };
  const optional = (
    field:
      | 'no_traffic_interval'
      | 'no_traffic_healthy_interval'
      | 'unhealthy_interval'
      | 'unhealthy_edge_interval'
      | 'healthy_edge_interval',
    fallback: number,
  ): number => {
    const value = config[field];
    if (value && !(durationMs(value, 0) > 0))
      errors.push({ path: [...path, field], message: 'must be greater than 0' });
    return durationMs(value, fallback);
  };
  const threshold = (field: 'unhealthy_threshold' | 'healthy_threshold'): number => {
    const value = config[field];
    if (!value) errors.push({ path: [...path, field], message: `${field} is required` });
    return value?.value ?? 0;
  };
  const timeoutMs = required('timeout');
  const intervalMs = required('interval');
  const unhealthyThreshold = threshold('unhealthy_threshold');
  const healthyThreshold = threshold('healthy_threshold');
  const noTrafficIntervalMs = optional('no_traffic_interval', 60_000);
  const noTrafficHealthyIntervalMs = optional('no_traffic_healthy_interval', noTrafficIntervalMs);
  const unhealthyIntervalMs = optional('unhealthy_interval', intervalMs);
  const unhealthyEdgeIntervalMs = optional('unhealthy_edge_interval', unhealthyIntervalMs);
  const healthyEdgeIntervalMs = optional('healthy_edge_interval', intervalMs);

  let check: HttpCheckSettings | TcpCheckSettings | undefined;
  switch (config.health_checker) {
    case 'http_health_check':
      check = parseHttpCheck(config.http_health_check!, [...path, 'http_health_check'], errors);
      break;
    case 'tcp_health_check':
      check = parseTcpCheck(config.tcp_health_check!, [...path, 'tcp_health_check'], errors);
      break;
    case undefined:
      errors.push({ path, message: 'one of http_health_check or tcp_health_check is required' });
      break;
    default:
      // grpc_health_check / custom_health_check: checkSupported reported the field.
      break;
  }
  if (errors.length > before || !check) return undefined;
  return {
    timeoutMs,
    intervalMs,
    initialJitterMs: durationMs(config.initial_jitter, 0),
    intervalJitterMs: durationMs(config.interval_jitter, 0),
    intervalJitterPercent: config.interval_jitter_percent,
    unhealthyThreshold,
    healthyThreshold,
    reuseConnection: config.reuse_connection?.value ?? true,
    noTrafficIntervalMs,
    noTrafficHealthyIntervalMs,
    unhealthyIntervalMs,
    unhealthyEdgeIntervalMs,
    healthyEdgeIntervalMs,
    check,
  };
}

const HTTP_SUPPORTED = [
  'host',
  'path',
  'send',
  'receive',
  'response_buffer_size',
  'request_headers_to_add',
  'request_headers_to_remove',
  'expected_statuses',
  'retriable_statuses',
  'codec_client_type',
  'service_name_matcher',
  'method',
];

/** Methods whose request has no body (HttpHealthCheckerImpl rejects a payload with them). */
const BODYLESS_METHODS = ['GET', 'HEAD', 'DELETE', 'TRACE'];

function parseHttpCheck(
  config: HttpHealthCheck,
  path: FieldPath,
  errors: ConfigError[],
): HttpCheckSettings | undefined {
  checkSupported('envoy.config.core.v3.HealthCheck.HttpHealthCheck', config, HTTP_SUPPORTED, path, errors);
  if (config.codec_client_type !== 'HTTP1') {
    errors.push({
      path: [...path, 'codec_client_type'],
      message: `codec_client_type ${config.codec_client_type} is not supported by Skein yet (only HTTP1)`,
    });
  }
  if (!config.path) errors.push({ path: [...path, 'path'], message: 'path is required' });
  else checkHeaderValue(config.path, [...path, 'path'], errors);
  if (config.host) checkHeaderValue(config.host, [...path, 'host'], errors);
  const method = config.method === 'METHOD_UNSPECIFIED' ? 'GET' : config.method;
  if (method === 'CONNECT')
    errors.push({ path: [...path, 'method'], message: 'CONNECT may not be used for health checks' });
  const send = config.send ? parsePayload(config.send, [...path, 'send'], errors) : undefined;
  if (send && BODYLESS_METHODS.includes(method)) {
    errors.push({
      path: [...path, 'send'],
      message: `HTTP health check cannot specify a request payload with method '${method}'. Only methods that support a request body (POST, PUT, PATCH, OPTIONS) can be used with payload.`,
    });
  }
  const receive = config.receive.map((p, i) => parsePayload(p, [...path, 'receive', i], errors) ?? Buffer.alloc(0));
  const responseBufferSize = config.response_buffer_size?.value ?? DEFAULT_RESPONSE_BUFFER_SIZE;
  const expectedTotal = receive.reduce((sum, b) => sum + b.length, 0);
  if (responseBufferSize !== 0 && expectedTotal > responseBufferSize) {
    errors.push({
      path: [...path, 'response_buffer_size'],
      message: `The expected response length '${expectedTotal}' is over than http health response buffer size '${responseBufferSize}'`,
    });
  }
  const headers = compileHeaderMutations(
    config.request_headers_to_add,
    config.request_headers_to_remove,
    path,
    REQUEST_FIELDS,
    errors,
  );
  const expected = parseRanges(config.expected_statuses, 'expected', [...path, 'expected_statuses'], errors);
  const serviceNameMatcher = config.service_name_matcher
    ? compileStringMatcher(config.service_name_matcher, [...path, 'service_name_matcher'], errors)
    : undefined;
  return {
    type: 'http',
    host: config.host,
    path: config.path,
    method,
    send,
    receive,
    responseBufferSize,
    headers,
    expectedStatuses: expected.length > 0 ? expected : [[200, 201]],
    retriableStatuses: parseRanges(config.retriable_statuses, 'retriable', [...path, 'retriable_statuses'], errors),
    serviceNameMatcher,
  };
}

function parseTcpCheck(config: TcpHealthCheck, path: FieldPath, errors: ConfigError[]): TcpCheckSettings {
  checkSupported('envoy.config.core.v3.HealthCheck.TcpHealthCheck', config, ['send', 'receive'], path, errors);
  return {
    type: 'tcp',
    send: config.send ? parsePayload(config.send, [...path, 'send'], errors) : undefined,
    receive: config.receive.map((p, i) => parsePayload(p, [...path, 'receive', i], errors) ?? Buffer.alloc(0)),
  };
}

/** PayloadMatcher::loadProtoBytes: `text` is hex, `binary` raw bytes. */
function parsePayload(payload: Payload, path: FieldPath, errors: ConfigError[]): Buffer | undefined {
  if (payload.payload === 'binary') return payload.binary ?? Buffer.alloc(0);
  const text = payload.text ?? '';
  if (payload.payload !== 'text' || text === '') {
    errors.push({ path, message: 'a payload needs non-empty text or binary' });
    return undefined;
  }
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    errors.push({ path: [...path, 'text'], message: `invalid hex string '${text}'` });
    return undefined;
  }
  return Buffer.from(text, 'hex');
}

/** HttpStatusChecker::validateRange: start < end, start ≥ 100, end ≤ 600. */
function parseRanges(
  ranges: readonly Int64Range__Output[],
  kind: string,
  path: FieldPath,
  errors: ConfigError[],
): [number, number][] {
  const out: [number, number][] = [];
  ranges.forEach((range, i) => {
    const start = Number(range.start);
    const end = Number(range.end);
    const at = [...path, i];
    if (start >= end)
      errors.push({ path: at, message: `Invalid http ${kind} status range: expecting start < end, but found start=${start} and end=${end}` });
    else if (start < 100)
      errors.push({ path: at, message: `Invalid http ${kind} status range: expecting start >= 100, but found start=${start}` });
    else if (end > 600)
      errors.push({ path: at, message: `Invalid http ${kind} status range: expecting end <= 600, but found end=${end}` });
    else out.push([start, end]);
  });
  return out;
}

/**
 * PayloadMatcher::match: each expected block must appear, in order, after the previous one
 * (not necessarily contiguous).
 */
export function payloadMatches(expected: readonly Buffer[], data: Buffer): boolean {
  let from = 0;
  for (const block of expected) {
    const at = data.indexOf(block, from);
    if (at < 0) return false;
    from = at + block.length;
  }
  return true;
}
