/**
 * One request's retry state, after Envoy's RetryStateImpl (source/common/router/retry_state_impl.cc):
 * the route's retry policy merged with the x-envoy-retry-* request headers, the decision for each
 * failed try, the retry circuit breaker (max_retries or a retry budget) and the fully jittered
 * exponential back-off.
 */
import type { HeaderSource } from '../matchers/header-matcher.js';
import { firstHeader, joinedHeader } from '../router/headers.js';
import { type CompiledRetryPolicy, parseRetryOnHeader, RetryOn } from '../router/retry-policy.js';
import type { Host, UpstreamCluster } from '../upstream/cluster-manager.js';
import type { Resource } from '../upstream/resource-manager.js';

/** Why a try ended without a usable response, in Envoy's Http::StreamResetReason terms. */
export type ResetReason = 'connection_failure' | 'overflow' | 'remote_reset' | 'protocol_error' | 'per_try_timeout';

export type RetryDecision = 'retry' | 'no' | 'limit_exceeded' | 'overflow';

/** Headers through which a trusted caller adjusts retries; Envoy never forwards them upstream. */
export const RETRY_REQUEST_HEADERS = [
  'x-envoy-retry-on',
  'x-envoy-retry-grpc-on',
  'x-envoy-max-retries',
  'x-envoy-retriable-status-codes',
  'x-envoy-retriable-header-names',
] as const;

/** gRPC status codes the gRPC retry_on values name (grpc/status.h). */
const GRPC_RETRY: readonly [number, number][] = [
  [1, RetryOn.GrpcCancelled],
  [4, RetryOn.GrpcDeadlineExceeded],
  [8, RetryOn.GrpcResourceExhausted],
  [14, RetryOn.GrpcUnavailable],
  [13, RetryOn.GrpcInternal],
];
const GRPC_ANY = RetryOn.GrpcCancelled | RetryOn.GrpcDeadlineExceeded | RetryOn.GrpcResourceExhausted | RetryOn.GrpcUnavailable | RetryOn.GrpcInternal;

export class RetryState {
  private readonly retryOn: number;
  private retriesRemaining: number;
  private readonly statusCodes: number[];
  private readonly headerNames: string[];
  private readonly policy: CompiledRetryPolicy | undefined;
  private readonly cluster: UpstreamCluster;
  private readonly retries: Resource;
  private readonly random: () => number;
  /** The retries resource is held from a 'retry' decision until the next decision or the end. */
  private holdingRetry = false;
  private backoffCount = 0;
  readonly attemptedHosts: Host[] = [];

  /** Undefined when nothing could ever be retried (Envoy allocates no state then either). */
  static create(
    policy: CompiledRetryPolicy | undefined,
    requestHeaders: readonly string[],
    cluster: UpstreamCluster,
    random: () => number = Math.random,
  ): RetryState | undefined {
    const headerRetryOn = firstHeader(requestHeaders, 'x-envoy-retry-on');
    const headerGrpcRetryOn = firstHeader(requestHeaders, 'x-envoy-retry-grpc-on');
    if (!policy?.retryOn && headerRetryOn === undefined && headerGrpcRetryOn === undefined) return undefined;
    if (policy && policy.retriableRequestHeaders.length > 0) {
      const source: HeaderSource = { joinedHeader: (name) => joinedHeader(requestHeaders, name) };
      if (!policy.retriableRequestHeaders.some((matches) => matches(source))) return undefined;
    }
    const state = new RetryState(policy, requestHeaders, cluster, random);
    return state.retryOn === 0 ? undefined : state;
  }

  private constructor(
    policy: CompiledRetryPolicy | undefined,
    requestHeaders: readonly string[],
    cluster: UpstreamCluster,
    random: () => number,
  ) {
    this.policy = policy;
    this.cluster = cluster;
    this.random = random;
    this.retries = cluster.resources.default.retries;
    let retryOn = policy?.retryOn ?? 0;
    const headerRetryOn = firstHeader(requestHeaders, 'x-envoy-retry-on');
    const headerGrpcRetryOn = firstHeader(requestHeaders, 'x-envoy-retry-grpc-on');
    if (headerRetryOn !== undefined) retryOn |= parseRetryOnHeader(headerRetryOn, false);
    if (headerGrpcRetryOn !== undefined) retryOn |= parseRetryOnHeader(headerGrpcRetryOn, true);
    this.retryOn = retryOn;
    this.retriesRemaining = policy?.numRetries ?? 1;
    // The max-retries header takes precedence when set and valid.
    const maxRetries = firstHeader(requestHeaders, 'x-envoy-max-retries');
    if (maxRetries !== undefined && /^\d+$/.test(maxRetries)) this.retriesRemaining = Number(maxRetries);
    this.statusCodes = [...(policy?.retriableStatusCodes ?? [])];
    for (const code of splitList(firstHeader(requestHeaders, 'x-envoy-retriable-status-codes'))) {
      if (/^\d+$/.test(code)) this.statusCodes.push(Number(code));
    }
    this.headerNames = splitList(firstHeader(requestHeaders, 'x-envoy-retriable-header-names')).map((name) =>
      name.toLowerCase(),
    );
  }

  get perTryTimeoutMs(): number {
    return this.policy?.perTryTimeoutMs ?? 0;
  }

  get perTryIdleTimeoutMs(): number {
    return this.policy?.perTryIdleTimeoutMs ?? 0;
  }

  get avoidPreviousHosts(): boolean {
    return this.policy?.avoidPreviousHosts ?? false;
  }

  get hostSelectionMaxAttempts(): number {
    return this.policy?.hostSelectionMaxAttempts ?? 1;
  }

  /** Whether a response with these headers is retried; x-envoy-overloaded and x-envoy-ratelimited never are. */
  wouldRetryFromHeaders(status: number, headers: readonly string[]): boolean {
    if (firstHeader(headers, 'x-envoy-overloaded') !== undefined) return false;
    const on = this.retryOn;
    if (firstHeader(headers, 'x-envoy-ratelimited') !== undefined) return (on & RetryOn.EnvoyRateLimited) !== 0;
    if (on & RetryOn.FiveXx && status >= 500 && status <= 599) return true;
    if (on & RetryOn.GatewayError && status >= 502 && status <= 504) return true;
    if (on & RetryOn.Retriable4xx && status === 409) return true;
    if (on & RetryOn.RetriableStatusCodes && this.statusCodes.includes(status)) return true;
    if (on & RetryOn.RetriableHeaders && this.matchesRetriableHeaders(headers)) return true;
    if (on & GRPC_ANY) {
      const grpcStatus = firstHeader(headers, 'grpc-status');
      if (grpcStatus !== undefined) {
        const code = Number(grpcStatus);
        for (const [grpcCode, bit] of GRPC_RETRY) if (code === grpcCode && on & bit) return true;
      }
    }
    return false;
  }

  /** Whether a try that ended in `reason` is retried; overflow never is. */
  wouldRetryFromReset(reason: ResetReason, requestStarted: boolean): boolean {
    if (reason === 'overflow') return false;
    const on = this.retryOn;
    if (on & (RetryOn.FiveXx | RetryOn.GatewayError | RetryOn.Reset)) return true;
    if (on & RetryOn.ConnectFailure && reason === 'connection_failure') return true;
    if (on & RetryOn.ResetBeforeRequest && !requestStarted) return true;
    return false;
  }

  /** Charges a retry against the limits; 'retry' means the caller schedules one after `backoffMs()`. */
  shouldRetry(wouldRetry: boolean): RetryDecision {
    const stats = this.cluster.stats;
    // A held retry followed by an outcome that is not retried means that retry succeeded.
    if (this.holdingRetry && !wouldRetry) stats.upstream_rq_retry_success.inc();
    this.release();
    if (!wouldRetry) return 'no';
    if (this.retriesRemaining === 0) {
      stats.upstream_rq_retry_limit_exceeded.inc();
      return 'limit_exceeded';
    }
    this.retriesRemaining--;
    if (!this.canCreateRetry()) {
      stats.upstream_rq_retry_overflow.inc();
      return 'overflow';
    }
    this.retries.inc();
    this.holdingRetry = true;
    stats.upstream_rq_retry.inc();
    return 'retry';
  }

  /** Fully jittered exponential back-off: uniform in [0, (2^n − 1) × base), capped at max_interval. */
  backoffMs(): number {
    this.backoffCount++;
    this.cluster.stats.upstream_rq_retry_backoff_exponential.inc();
    const base = this.policy?.baseIntervalMs ?? 25;
    const max = this.policy?.maxIntervalMs ?? base * 10;
    const ceiling = Math.min(base * (2 ** this.backoffCount - 1), max);
    return Math.floor(this.random() * ceiling);
  }

  /** Whether host selection for a retry should reject `host` (previous_hosts predicate). */
  rejectsHost(host: Host): boolean {
    return this.avoidPreviousHosts && this.attemptedHosts.includes(host);
  }

  /** The request is over: give back a held retry. */
  release(): void {
    if (!this.holdingRetry) return;
    this.holdingRetry = false;
    this.retries.dec();
  }

  private canCreateRetry(): boolean {
    // A retry budget replaces max_retries: budget_percent (20 %) of the active and pending
    // requests, but never fewer than min_retry_concurrency (3) (circuit_breaker.proto).
    const thresholds = this.cluster.config.circuit_breakers?.thresholds.find((t) => t.priority === 'DEFAULT');
    const budget = thresholds?.retry_budget;
    if (!budget) return this.retries.canCreate();
    const resources = this.cluster.resources.default;
    const percent = budget.budget_percent?.value ?? 20;
    const minConcurrency = budget.min_retry_concurrency?.value ?? 3;
    const outstanding = resources.requests.count + resources.pendingRequests.count;
    return this.retries.count < Math.max(minConcurrency, (percent / 100) * outstanding);
  }

  private matchesRetriableHeaders(headers: readonly string[]): boolean {
    const source: HeaderSource = { joinedHeader: (name) => joinedHeader(headers, name) };
    if (this.policy?.retriableHeaders.some((matches) => matches(source))) return true;
    return this.headerNames.some((name) => firstHeader(headers, name) !== undefined);
  }
}

function splitList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}
