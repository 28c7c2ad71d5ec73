/**
 * `envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit` compiled (Envoy's
 * local_ratelimit FilterConfig). Defaults are Envoy's: filter_enabled and filter_enforced unset
 * mean 0 % ("for safety"), status unset or below 400 means 429, tokens_per_fill 1. One bucket
 * per config: the filter's own for the whole process, or one per route (or virtual host) that
 * sets its own config, or one per downstream connection with
 * local_rate_limit_per_downstream_connection.
 */
import type { Socket } from 'node:net';
import type { LocalRateLimit__Output } from '../../../xds/generated/envoy/extensions/filters/http/local_ratelimit/v3/LocalRateLimit.js';
import type { TokenBucket__Output } from '../../../xds/generated/envoy/type/v3/TokenBucket.js';
import type { FieldPath } from '../../../xds/proto-json.js';
import { envoyRoot } from '../../../xds/protos.js';
import { type ConfigError, checkSupported } from '../../config/config-error.js';
import { compileHeaderMutations, type HeaderMutations } from '../../router/header-mutation.js';
import type { Counter, StatsScope } from '../../stats/stats.js';
import { compileRuntimeFractionalPercent, type Fraction } from './fractional-percent.js';
import { TokenBucket } from './token-bucket.js';

export const LOCAL_RATE_LIMIT = 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';

const SUPPORTED = [
  'stat_prefix',
  'status',
  'token_bucket',
  'filter_enabled',
  'filter_enforced',
  'response_headers_to_add',
  'request_headers_to_add_when_not_enforced',
  'local_rate_limit_per_downstream_connection',
  'enable_x_ratelimit_headers',
  'rate_limited_as_resource_exhausted',
  // These only steer descriptors, which Skein rejects; without descriptors Envoy ignores them too.
  'stage',
  'vh_rate_limits',
  'always_consume_default_token_bucket',
];

/** Envoy: "local rate limit token bucket fill timer must be >= 50ms". */
const MIN_FILL_INTERVAL_MS = 50;
/** PGV max_items on both header lists. */
const MAX_HEADERS = 10;
const RESOURCE_EXHAUSTED = 8;

export interface LocalRateLimitStats {
  readonly enabled: Counter;
  readonly enforced: Counter;
  readonly rate_limited: Counter;
  readonly ok: Counter;
}

interface BucketSpec {
  readonly maxTokens: number;
  readonly tokensPerFill: number;
  readonly fillIntervalMs: number;
}

/** A class, so the filter can tell its per-route configs apart from other filters'. */
export class LocalRateLimitConfig {
  readonly statPrefix: string;
  readonly status: number;
  readonly enabled: Fraction | undefined;
  readonly enforced: Fraction | undefined;
  readonly responseHeadersToAdd: HeaderMutations | undefined;
  readonly requestHeadersToAddWhenNotEnforced: HeaderMutations | undefined;
  readonly xRateLimitHeaders: boolean;
  /** Set when rate_limited_as_resource_exhausted: gRPC requests get RESOURCE_EXHAUSTED. */
  readonly rateLimitedGrpcStatus: number | undefined;
  private readonly spec: BucketSpec;
  private readonly perConnection: boolean;
  private readonly shared: TokenBucket | undefined;
  private readonly connectionBuckets = new WeakMap<Socket, TokenBucket>();
  private stats: LocalRateLimitStats | undefined;

  constructor(fields: {
    statPrefix: string;
    status: number;
    enabled: Fraction | undefined;
    enforced: Fraction | undefined;
    responseHeadersToAdd: HeaderMutations | undefined;
    requestHeadersToAddWhenNotEnforced: HeaderMutations | undefined;
    xRateLimitHeaders: boolean;
    rateLimitedGrpcStatus: number | undefined;
    spec: BucketSpec;
    perConnection: boolean;
  }) {
    this.statPrefix = fields.statPrefix;
    this.status = fields.status;
    this.enabled = fields.enabled;
    this.enforced = fields.enforced;
    this.responseHeadersToAdd = fields.responseHeadersToAdd;
    this.requestHeadersToAddWhenNotEnforced = fields.requestHeadersToAddWhenNotEnforced;
    this.xRateLimitHeaders = fields.xRateLimitHeaders;
    this.rateLimitedGrpcStatus = fields.rateLimitedGrpcStatus;
    this.spec = fields.spec;
    this.perConnection = fields.perConnection;
    this.shared = fields.perConnection ? undefined : this.newBucket();
  }

  private newBucket(): TokenBucket {
    return new TokenBucket(this.spec.maxTokens, this.spec.tokensPerFill, this.spec.fillIntervalMs);
  }

  /** The bucket this request draws from. */
  bucketFor(connection: Socket): TokenBucket {
    if (this.shared) return this.shared;
    let bucket = this.connectionBuckets.get(connection);
    if (!bucket) {
      bucket = this.newBucket();
      this.connectionBuckets.set(connection, bucket);
    }
    return bucket;
  }

  /** `<stat_prefix>.http_local_rate_limit.*`, created in the first filter's stats store. */
  statsIn(root: StatsScope): LocalRateLimitStats {
    if (!this.stats) {
      const scope = root.scope(`${this.statPrefix}.http_local_rate_limit.`);
      this.stats = {
        enabled: scope.counter('enabled'),
        enforced: scope.counter('enforced'),
        rate_limited: scope.counter('rate_limited'),
        ok: scope.counter('ok'),
      };
    }
    return this.stats;
  }
}

export function compileLocalRateLimit(
  config: LocalRateLimit__Output,
  perRoute: boolean,
  path: FieldPath,
  errors: ConfigError[],
): LocalRateLimitConfig | undefined {
  const before = errors.length;
  checkSupported(LOCAL_RATE_LIMIT, config, SUPPORTED, path, errors);
  if (config.stat_prefix === '')
    errors.push({ path: [...path, 'stat_prefix'], message: 'stat_prefix must not be empty' });
  if (config.stage > 10) errors.push({ path: [...path, 'stage'], message: 'stage must be at most 10' });
  if (perRoute && !config.token_bucket) {
    errors.push({
      path: [...path, 'token_bucket'],
      message: 'local rate limit token bucket must be set for per filter configs',
    });
  }
  // Without a bucket (allowed for the filter's own config) nothing is ever allowed once enabled,
  // as in Envoy, whose empty bucket holds no tokens.
  const spec = config.token_bucket
    ? compileTokenBucket(config.token_bucket, [...path, 'token_bucket'], errors)
    : { maxTokens: 0, tokensPerFill: 1, fillIntervalMs: 0 };
  const enabled = config.filter_enabled
    ? compileRuntimeFractionalPercent(config.filter_enabled, [...path, 'filter_enabled'], errors)
    : undefined;
  const enforced = config.filter_enforced
    ? compileRuntimeFractionalPercent(config.filter_enforced, [...path, 'filter_enforced'], errors)
    : undefined;
  const responseHeadersToAdd = compileHeaderList(config, 'response_headers_to_add', path, errors);
  const requestHeadersToAdd = compileHeaderList(config, 'request_headers_to_add_when_not_enforced', path, errors);
  const status = statusCode(config, path, errors);
  if (config.enable_x_ratelimit_headers !== 'OFF' && config.enable_x_ratelimit_headers !== 'DRAFT_VERSION_03') {
    errors.push({
      path: [...path, 'enable_x_ratelimit_headers'],
      message: `unknown enable_x_ratelimit_headers ${String(config.enable_x_ratelimit_headers)}`,
    });
  }
  if (errors.length > before || !spec || status === undefined) return undefined;
  return new LocalRateLimitConfig({
    statPrefix: config.stat_prefix,
    status,
    enabled,
    enforced,
    responseHeadersToAdd,
    requestHeadersToAddWhenNotEnforced: requestHeadersToAdd,
    xRateLimitHeaders: config.enable_x_ratelimit_headers === 'DRAFT_VERSION_03',
    rateLimitedGrpcStatus: config.rate_limited_as_resource_exhausted ? RESOURCE_EXHAUSTED : undefined,
    spec,
    perConnection: config.local_rate_limit_per_downstream_connection,
  });
}

function compileTokenBucket(bucket: TokenBucket__Output, path: FieldPath, errors: ConfigError[]): BucketSpec | undefined {
  checkSupported('envoy.type.v3.TokenBucket', bucket, ['max_tokens', 'tokens_per_fill', 'fill_interval'], path, errors);
  const before = errors.length;
  if (bucket.max_tokens === 0) errors.push({ path: [...path, 'max_tokens'], message: 'max_tokens must be greater than 0' });
  const tokensPerFill = bucket.tokens_per_fill?.value ?? 1;
  if (tokensPerFill === 0)
    errors.push({ path: [...path, 'tokens_per_fill'], message: 'tokens_per_fill must be greater than 0' });
  const interval = bucket.fill_interval;
  const fillIntervalMs = interval ? Number(interval.seconds) * 1000 + Math.floor(interval.nanos / 1e6) : 0;
  if (!interval) {
    errors.push({ path: [...path, 'fill_interval'], message: 'fill_interval is required' });
  } else if (fillIntervalMs < MIN_FILL_INTERVAL_MS) {
    errors.push({
      path: [...path, 'fill_interval'],
      message: `local rate limit token bucket fill timer must be >= ${MIN_FILL_INTERVAL_MS}ms`,
    });
  }
  if (errors.length > before) return undefined;
  return { maxTokens: bucket.max_tokens, tokensPerFill, fillIntervalMs };
}

function compileHeaderList(
  config: LocalRateLimit__Output,
  field: 'response_headers_to_add' | 'request_headers_to_add_when_not_enforced',
  path: FieldPath,
  errors: ConfigError[],
): HeaderMutations | undefined {
  const list = config[field];
  if (list.length > MAX_HEADERS) {
    errors.push({ path: [...path, field], message: `at most ${MAX_HEADERS} headers may be added` });
    return undefined;
  }
  return compileHeaderMutations(list, [], path, { add: field, remove: field }, errors);
}

/** FilterConfig::toErrorCode: the configured status when it is an error (>= 400), else 429. */
function statusCode(config: LocalRateLimit__Output, path: FieldPath, errors: ConfigError[]): number | undefined {
  const name = config.status?.code;
  if (name === undefined) return 429;
  const code = envoyRoot().lookupEnum('envoy.type.v3.StatusCode').values[name];
  if (code === undefined || code === 0) {
    errors.push({ path: [...path, 'status', 'code'], message: `status code must be a defined HTTP status, not ${String(name)}` });
    return undefined;
  }
  return code >= 400 ? code : 429;
}
