/**
 * The local rate limit token bucket as Envoy runs it since 1.31 (AtomicTokenBucketImpl, no fill
 * timer): it starts full and refills continuously at tokens_per_fill per fill_interval, up to
 * max_tokens, computed lazily from the time elapsed whenever it is read. Times are milliseconds.
 */
export class TokenBucket {
  readonly maxTokens: number;
  /** Tokens per millisecond. */
  private readonly rate: number;
  private readonly now: () => number;
  private tokens: number;
  private lastRefill: number;

  constructor(maxTokens: number, tokensPerFill: number, fillIntervalMs: number, now: () => number = () => performance.now()) {
    this.maxTokens = maxTokens;
    this.rate = fillIntervalMs > 0 ? tokensPerFill / fillIntervalMs : 0;
    this.now = now;
    this.tokens = maxTokens;
    this.lastRefill = now();
  }

  private available(at: number): number {
    return Math.min(this.maxTokens, this.tokens + (at - this.lastRefill) * this.rate);
  }

  /** Takes one token; false when none is left. */
  consume(): boolean {
    const at = this.now();
    this.tokens = this.available(at);
    this.lastRefill = at;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whole tokens left (x-ratelimit-remaining). */
  remainingTokens(): number {
    return Math.floor(this.available(this.now()));
  }

  /**
   * x-ratelimit-reset: 0 while a token is left, else the time one token takes to refill, in
   * whole seconds, rounded down as Envoy's RateLimitTokenBucket::resetSeconds does
   * (`ceil(nextTokenAvailable().count() / 1000)` divides integer milliseconds first).
   */
  resetSeconds(): number {
    if (this.available(this.now()) >= 1 || this.rate === 0) return 0;
    return Math.floor(Math.ceil(1 / this.rate) / 1000);
  }
}
