/**
 * Envoy's per-subscription stats (`cluster_manager.cds.`, `listener_manager.lds.`,
 * `http.<stat_prefix>.rds.<name>.`), counted exactly where Envoy's GrpcSubscriptionImpl counts
 * them: an attempt at start and on every outcome, success with the update time and version
 * hash, rejected for a NACK, failure for a lost stream, init_fetch_timeout when the initial
 * fetch gave up waiting.
 */
import type { Counter, Gauge, Histogram, StatsScope } from '../stats/stats.js';
import { versionGaugeValue } from './version-hash.js';

export class SubscriptionStats {
  readonly update_attempt: Counter;
  readonly update_success: Counter;
  readonly update_failure: Counter;
  readonly update_rejected: Counter;
  readonly init_fetch_timeout: Counter;
  readonly update_time: Gauge;
  readonly version: Gauge;
  readonly update_duration: Histogram;

  constructor(scope: StatsScope) {
    this.update_attempt = scope.counter('update_attempt');
    this.update_success = scope.counter('update_success');
    this.update_failure = scope.counter('update_failure');
    this.update_rejected = scope.counter('update_rejected');
    this.init_fetch_timeout = scope.counter('init_fetch_timeout');
    this.update_time = scope.gauge('update_time');
    this.version = scope.gauge('version');
    this.update_duration = scope.histogram('update_duration');
  }

  accepted(versionInfo: string, durationMs: number): void {
    this.update_attempt.inc();
    this.update_success.inc();
    this.update_time.set(Date.now());
    this.version.set(versionGaugeValue(versionInfo));
    this.update_duration.record(durationMs);
  }

  rejected(): void {
    this.update_attempt.inc();
    this.update_rejected.inc();
  }

  connectionFailed(): void {
    this.update_attempt.inc();
    this.update_failure.inc();
  }

  initialFetchTimedOut(): void {
    this.update_attempt.inc();
    this.init_fetch_timeout.inc();
  }
}
