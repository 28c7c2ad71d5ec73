/**
 * Envoy's JitteredExponentialBackOffStrategy, as its xDS gRPC streams use it: each retry waits
 * a uniformly random time below the current interval (full jitter), the interval doubles up to
 * the maximum, and a received message resets it. The xDS defaults are
 * `SubscriptionFactory::RetryInitialDelayMs = 500` and `RetryMaxDelayMs = 30000`.
 */
export const XDS_RETRY_INITIAL_DELAY_MS = 500;
export const XDS_RETRY_MAX_DELAY_MS = 30_000;

export class JitteredExponentialBackoff {
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  private nextIntervalMs: number;

  constructor(
    baseMs = XDS_RETRY_INITIAL_DELAY_MS,
    maxMs = XDS_RETRY_MAX_DELAY_MS,
    random: () => number = Math.random,
  ) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
    this.random = random;
    this.nextIntervalMs = baseMs;
  }

  nextBackoffMs(): number {
    const interval = this.nextIntervalMs;
    this.nextIntervalMs = interval > this.maxMs / 2 ? this.maxMs : interval * 2;
    return Math.min(Math.floor(this.random() * interval), this.maxMs);
  }

  reset(): void {
    this.nextIntervalMs = this.baseMs;
  }
}
