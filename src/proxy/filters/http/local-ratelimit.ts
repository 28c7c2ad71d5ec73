/**
 * `envoy.filters.http.local_ratelimit` (extensions/filters/http/local_ratelimit/local_ratelimit.cc):
 * each request the config enables takes a token; without one it is counted rate_limited and,
 * when enforced, answered locally (default 429, body "local_rate_limited", flag RL, details
 * local_rate_limited, plus response_headers_to_add), else forwarded with
 * request_headers_to_add_when_not_enforced. The route's own config, if any, replaces the
 * filter's (with its own bucket and stats). With enable_x_ratelimit_headers DRAFT_VERSION_03,
 * every response of a request that consulted a bucket carries x-ratelimit-limit,
 * x-ratelimit-remaining and x-ratelimit-reset.
 */
import type { LocalRateLimit__Output } from '../../../xds/generated/envoy/extensions/filters/http/local_ratelimit/v3/LocalRateLimit.js';
import type { FilterStatus, HttpFilter, HttpStream, ResponseHead } from '../../http/http-filter.js';
import { ResponseFlag } from '../../http/response-flags.js';
import { mostSpecificPerFilterConfig } from '../../router/per-filter-config.js';
import type { StatsScope } from '../../stats/stats.js';
import type { HttpFilterFactory } from '../registry.js';
import { inFraction, type Random } from './fractional-percent.js';
import { compileLocalRateLimit, LOCAL_RATE_LIMIT, LocalRateLimitConfig } from './local-ratelimit-config.js';
import { sendFilterLocalReply } from './local-reply.js';
import { formatInput } from './stream-format.js';
import type { TokenBucket } from './token-bucket.js';

export const localRateLimitFilterFactory: HttpFilterFactory = {
  typeName: LOCAL_RATE_LIMIT,
  terminal: false,
  routeConfigTypeName: LOCAL_RATE_LIMIT,
  create(config, path, errors, context, filter) {
    const compiled = compileLocalRateLimit(config as LocalRateLimit__Output, false, path, errors);
    if (!compiled) return undefined;
    compiled.statsIn(context.stats);
    const shared: LocalRateLimitFilterConfig = { name: filter.name, config: compiled, stats: context.stats, random: Math.random };
    return () => new LocalRateLimitFilter(shared);
  },
  createRouteConfig(config, path, errors) {
    return compileLocalRateLimit(config as LocalRateLimit__Output, true, path, errors);
  },
};

export interface LocalRateLimitFilterConfig {
  readonly name: string;
  readonly config: LocalRateLimitConfig;
  /** The root scope per-route configs create their stats in. */
  readonly stats: StatsScope;
  readonly random: Random;
}

export class LocalRateLimitFilter implements HttpFilter {
  private readonly shared: LocalRateLimitFilterConfig;
  /** The config this request used, kept for encodeHeaders (the route may change in between). */
  private used: LocalRateLimitConfig;
  /** The bucket this request drew from; undefined when the filter was not enabled for it. */
  private bucket: TokenBucket | undefined;

  constructor(shared: LocalRateLimitFilterConfig) {
    this.shared = shared;
    this.used = shared.config;
  }

  decodeHeaders(stream: HttpStream): FilterStatus {
    const config =
      mostSpecificPerFilterConfig(stream, this.shared.name, LocalRateLimitConfig) ?? this.shared.config;
    this.used = config;
    const random = this.shared.random;
    if (!config.enabled || !inFraction(config.enabled, random)) return 'continue';
    const stats = config.statsIn(this.shared.stats);
    stats.enabled.inc();
    const bucket = config.bucketFor(stream.downstreamSocket);
    this.bucket = bucket;
    if (bucket.consume()) {
      stats.ok.inc();
      return 'continue';
    }
    stats.rate_limited.inc();
    if (!config.enforced || !inFraction(config.enforced, random)) {
      config.requestHeadersToAddWhenNotEnforced?.apply(stream.headers, formatInput(stream));
      return 'continue';
    }
    stats.enforced.inc();
    const headers: string[] = [];
    config.responseHeadersToAdd?.apply(headers, formatInput(stream));
    sendFilterLocalReply(
      stream,
      config.status,
      'local_rate_limited',
      ResponseFlag.RateLimited,
      'local_rate_limited',
      headers,
      config.rateLimitedGrpcStatus,
    );
    return 'stop';
  }

  encodeHeaders(_stream: HttpStream, head: ResponseHead): void {
    const bucket = this.bucket;
    if (!bucket || !this.used.xRateLimitHeaders) return;
    head.headers.push(
      'x-ratelimit-limit',
      String(bucket.maxTokens),
      'x-ratelimit-remaining',
      String(bucket.remainingTokens()),
      'x-ratelimit-reset',
      String(bucket.resetSeconds()),
    );
  }
}
