/**
 * Passive health checking (arch_overview/upstream/outlier): Envoy's DetectorImpl
 * (source/common/upstream/outlier_detection_impl.cc). Consecutive-error detectors eject at once;
 * every `interval` a sweep unejects hosts whose ejection time passed, runs the success-rate and
 * failure-percentage detectors over the last interval's counts, and shrinks the ejection
 * backoff of hosts that stayed healthy.
 *
 * - An ejection is allowed while (ejected + 1) / hosts ≤ max_ejection_percent (every priority
 *   counted together), or for the first one with always_eject_one_host; otherwise it counts
 *   `ejections_overflow`.
 * - Detected ejections are enforced with probability enforcing_* %.
 * - An ejected host stays out min(base_ejection_time × backoff, max_ejection_time) + jitter,
 *   where backoff grows by one per ejection (up to max/base + 1) and drops by one per interval
 *   the host spends back in service.
 * - An ejected host is FAILED_OUTLIER_CHECK: unhealthy for load balancing, so panic mode still
 *   serves a fully ejected cluster.
 */
import type { Counter, Gauge, StatsScope } from '../stats/stats.js';
import type { UpstreamHost } from './host.js';
import { NULL_OUTLIER_MONITOR } from './host.js';
import type { Random } from './lb.js';
import type { OutlierSettings } from './outlier-config.js';
import {
  type ConsecutiveErrorSink,
  type EjectionType,
  HostOutlierMonitor,
  type SuccessRateOrigin,
} from './outlier-monitor.js';
import type { Scheduler, TimerHandle } from './scheduler.js';

/** Stat names as Envoy's ALL_OUTLIER_DETECTION_STATS (the code's names, which the docs' table misspells for local-origin failure percentage). */
const COUNTERS = [
  'ejections_consecutive_5xx',
  'ejections_detected_consecutive_5xx',
  'ejections_detected_consecutive_gateway_failure',
  'ejections_detected_success_rate',
  'ejections_enforced_consecutive_5xx',
  'ejections_enforced_consecutive_gateway_failure',
  'ejections_enforced_success_rate',
  'ejections_detected_consecutive_local_origin_failure',
  'ejections_enforced_consecutive_local_origin_failure',
  'ejections_detected_local_origin_success_rate',
  'ejections_enforced_local_origin_success_rate',
  'ejections_detected_failure_percentage',
  'ejections_enforced_failure_percentage',
  'ejections_detected_local_origin_failure_percentage',
  'ejections_enforced_local_origin_failure_percentage',
  'ejections_enforced_total',
  'ejections_overflow',
  'ejections_success_rate',
  'ejections_total',
] as const;

export type OutlierStats = { readonly [K in (typeof COUNTERS)[number]]: Counter } & {
  readonly ejections_active: Gauge;
  readonly names: readonly string[];
};

/** `cluster.<name>.outlier_detection.*`. */
export function createOutlierStats(clusterScope: StatsScope): OutlierStats {
  const scope = clusterScope.scope('outlier_detection.', 'outlier_detection.');
  const stats: Record<string, unknown> = {};
  const names: string[] = [];
  for (const name of COUNTERS) {
    const counter = scope.counter(name);
    stats[name] = counter;
    names.push(counter.name);
  }
  const active = scope.gauge('ejections_active');
  stats['ejections_active'] = active;
  names.push(active.name);
  stats['names'] = names;
  return stats as OutlierStats;
}

interface TypeInfo {
  readonly enforcing: (s: OutlierSettings) => number;
  readonly detected: (typeof COUNTERS)[number];
  readonly enforced: (typeof COUNTERS)[number];
}

const TYPES: Readonly<Record<EjectionType, TypeInfo>> = {
  CONSECUTIVE_5XX: {
    enforcing: (s) => s.enforcingConsecutive5xx,
    detected: 'ejections_detected_consecutive_5xx',
    enforced: 'ejections_enforced_consecutive_5xx',
  },
  CONSECUTIVE_GATEWAY_FAILURE: {
    enforcing: (s) => s.enforcingConsecutiveGatewayFailure,
    detected: 'ejections_detected_consecutive_gateway_failure',
    enforced: 'ejections_enforced_consecutive_gateway_failure',
  },
  SUCCESS_RATE: {
    enforcing: (s) => s.enforcingSuccessRate,
    detected: 'ejections_detected_success_rate',
    enforced: 'ejections_enforced_success_rate',
  },
  CONSECUTIVE_LOCAL_ORIGIN_FAILURE: {
    enforcing: (s) => s.enforcingConsecutiveLocalOriginFailure,
    detected: 'ejections_detected_consecutive_local_origin_failure',
    enforced: 'ejections_enforced_consecutive_local_origin_failure',
  },
  SUCCESS_RATE_LOCAL_ORIGIN: {
    enforcing: (s) => s.enforcingLocalOriginSuccessRate,
    detected: 'ejections_detected_local_origin_success_rate',
    enforced: 'ejections_enforced_local_origin_success_rate',
  },
  FAILURE_PERCENTAGE: {
    enforcing: (s) => s.enforcingFailurePercentage,
    detected: 'ejections_detected_failure_percentage',
    enforced: 'ejections_enforced_failure_percentage',
  },
  FAILURE_PERCENTAGE_LOCAL_ORIGIN: {
    enforcing: (s) => s.enforcingFailurePercentageLocalOrigin,
    detected: 'ejections_detected_local_origin_failure_percentage',
    enforced: 'ejections_enforced_local_origin_failure_percentage',
  },
};

/**
 * Mean and ejection threshold (mean − factor × population stdev) of success rates, as
 * DetectorImpl::successRateEjectionThreshold: {50, 100, 100, 100, 100} → mean 90, stdev 20.
 */
export function successRateEjectionThreshold(
  rates: readonly number[],
  stdevFactor: number,
): { mean: number; threshold: number } {
  const mean = rates.reduce((sum, r) => sum + r, 0) / rates.length;
  const variance = rates.reduce((sum, r) => sum + (r - mean) ** 2, 0) / rates.length;
  return { mean, threshold: mean - stdevFactor * Math.sqrt(variance) };
}

export class OutlierDetector implements ConsecutiveErrorSink {
  readonly settings: OutlierSettings;
  readonly stats: OutlierStats;
  private readonly scheduler: Scheduler;
  private readonly random: Random;
  private readonly monitors = new Map<UpstreamHost, HostOutlierMonitor>();
  private readonly hostsByMonitor = new Map<HostOutlierMonitor, UpstreamHost>();
  /** Ejected hosts this detector owns (ejections_active is shared with replaced clusters). */
  private ejectedCount = 0;
  private timer: TimerHandle | undefined;
  /** Last sweep's cluster success-rate mean and threshold per origin, -1 when not computed. */
  readonly successRateNumbers = {
    external: { mean: -1, threshold: -1 },
    local: { mean: -1, threshold: -1 },
  };

  constructor(settings: OutlierSettings, stats: OutlierStats, scheduler: Scheduler, random: Random) {
    this.settings = settings;
    this.stats = stats;
    this.scheduler = scheduler;
    this.random = random;
    this.armIntervalTimer();
  }

  addHost(host: UpstreamHost): void {
    if (this.monitors.has(host)) return;
    const monitor = new HostOutlierMonitor(this);
    this.monitors.set(host, monitor);
    this.hostsByMonitor.set(monitor, host);
    host.outlier = monitor;
  }

  removeHost(host: UpstreamHost): void {
    const monitor = this.monitors.get(host);
    if (!monitor) return;
    if (host.hasHealthFlag('FAILED_OUTLIER_CHECK')) this.changeEjectedCount(-1);
    monitor.detach();
    this.monitors.delete(host);
    this.hostsByMonitor.delete(monitor);
    host.outlier = NULL_OUTLIER_MONITOR;
  }

  monitorOf(host: UpstreamHost): HostOutlierMonitor | undefined {
    return this.monitors.get(host);
  }

  /** The cluster is gone: stop sweeping, forget hosts, give back the ejections_active it holds. */
  destroy(): void {
    this.timer?.cancel();
    this.timer = undefined;
    for (const host of [...this.monitors.keys()]) this.removeHost(host);
  }

  /** successful_active_health_check_uneject_host: a passing active check ends an ejection. */
  onActiveHealthCheckSuccess(host: UpstreamHost): void {
    if (!this.settings.successfulActiveHealthCheckUnejectHost) return;
    if (host.hasHealthFlag('FAILED_ACTIVE_HC') || !host.hasHealthFlag('FAILED_OUTLIER_CHECK')) return;
    this.unejectHost(host);
  }

  onConsecutiveError(monitor: HostOutlierMonitor, type: EjectionType): void {
    const host = this.hostsByMonitor.get(monitor);
    if (!host || host.hasHealthFlag('FAILED_OUTLIER_CHECK')) return;
    this.stats[TYPES[type].detected].inc();
    this.ejectHost(host, monitor, type);
    // Reset so a new run of errors is needed even without an interleaved success.
    if (type === 'CONSECUTIVE_5XX') {
      this.stats.ejections_consecutive_5xx.inc(); // deprecated, kept as Envoy does
      monitor.consecutive5xx = 0;
    } else if (type === 'CONSECUTIVE_GATEWAY_FAILURE') monitor.consecutiveGatewayFailure = 0;
    else if (type === 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE') monitor.consecutiveLocalOriginFailure = 0;
  }

  private armIntervalTimer(): void {
    this.timer = this.scheduler.schedule(this.settings.intervalMs, () => this.onIntervalTimer());
  }

  /** DetectorImpl::onIntervalTimer. */
  private onIntervalTimer(): void {
    const now = this.scheduler.now();
    for (const [host, monitor] of this.monitors) {
      this.checkHostForUneject(host, monitor, now);
      monitor.swapSuccessRateBuckets();
      monitor.setSuccessRate('external', -1);
      monitor.setSuccessRate('local', -1);
    }
    this.processSuccessRateEjections('external');
    this.processSuccessRateEjections('local');
    for (const [host, monitor] of this.monitors) {
      if (host.hasHealthFlag('FAILED_OUTLIER_CHECK')) continue;
      // Back in service for at least one interval: shorten the next ejection.
      if (
        monitor.lastUnejectionTime !== undefined &&
        now - monitor.lastUnejectionTime >= this.settings.intervalMs &&
        monitor.ejectTimeBackoff > 0
      ) {
        monitor.ejectTimeBackoff--;
      }
    }
    this.armIntervalTimer();
  }

  private checkHostForUneject(host: UpstreamHost, monitor: HostOutlierMonitor, now: number): void {
    if (!host.hasHealthFlag('FAILED_OUTLIER_CHECK') || monitor.lastEjectionTime === undefined) return;
    const { baseEjectionTimeMs, maxEjectionTimeMs } = this.settings;
    const ejectedFor = Math.min(baseEjectionTimeMs * monitor.ejectTimeBackoff, maxEjectionTimeMs);
    if (ejectedFor + monitor.jitterMs <= now - monitor.lastEjectionTime) this.unejectHost(host);
  }

  private unejectHost(host: UpstreamHost): void {
    const monitor = this.monitors.get(host);
    if (!monitor) return;
    this.changeEjectedCount(-1);
    monitor.resetConsecutive();
    monitor.lastUnejectionTime = this.scheduler.now();
    host.setHealthFlag('FAILED_OUTLIER_CHECK', false);
  }

  /** DetectorImpl::ejectHost. */
  private ejectHost(host: UpstreamHost, monitor: HostOutlierMonitor, type: EjectionType): void {
    const maxPercent = Math.min(100, this.settings.maxEjectionPercent);
    const ejectedPercent = (100 * (this.ejectedCount + 1)) / this.monitors.size;
    let shouldEject = ejectedPercent <= maxPercent;
    if (this.settings.alwaysEjectOneHost) shouldEject ||= this.ejectedCount === 0;
    if (!shouldEject) {
      this.stats.ejections_overflow.inc();
      return;
    }
    if (type === 'CONSECUTIVE_5XX' || type === 'SUCCESS_RATE') this.stats.ejections_total.inc(); // deprecated
    if (!this.enforced(TYPES[type].enforcing(this.settings))) return;
    this.changeEjectedCount(1);
    this.stats.ejections_enforced_total.inc();
    this.stats[TYPES[type].enforced].inc();
    monitor.numEjections++;
    monitor.lastEjectionTime = this.scheduler.now();
    // Jitter so that hosts ejected together do not all return at once.
    monitor.jitterMs = this.random() % (this.settings.maxEjectionTimeJitterMs + 1);
    const { baseEjectionTimeMs, maxEjectionTimeMs } = this.settings;
    if (monitor.ejectTimeBackoff * baseEjectionTimeMs < maxEjectionTimeMs + baseEjectionTimeMs)
      monitor.ejectTimeBackoff++;
    host.setHealthFlag('FAILED_OUTLIER_CHECK', true);
  }

  /** Runtime featureEnabled(percent): true with probability percent / 100. */
  private enforced(percent: number): boolean {
    return this.random() % 100 < percent;
  }

  private changeEjectedCount(by: number): void {
    this.ejectedCount += by;
    this.stats.ejections_active.inc(by);
  }

  /** DetectorImpl::processSuccessRateEjections for one origin. */
  private processSuccessRateEjections(origin: SuccessRateOrigin): void {
    const s = this.settings;
    this.successRateNumbers[origin] = { mean: -1, threshold: -1 };
    const hostCount = this.monitors.size;
    if (hostCount < s.successRateMinimumHosts && hostCount < s.failurePercentageMinimumHosts) return;

    const successRateHosts: [UpstreamHost, HostOutlierMonitor, number][] = [];
    const failurePercentageHosts: [UpstreamHost, HostOutlierMonitor, number][] = [];
    for (const [host, monitor] of this.monitors) {
      if (host.hasHealthFlag('FAILED_OUTLIER_CHECK')) continue;
      const measured = monitor.accumulator(origin).rateAndVolume();
      if (!measured) continue;
      const { rate, volume } = measured;
      if (volume >= Math.min(s.successRateRequestVolume, s.failurePercentageRequestVolume))
        monitor.setSuccessRate(origin, rate);
      if (volume >= s.successRateRequestVolume) successRateHosts.push([host, monitor, rate]);
      if (volume >= s.failurePercentageRequestVolume) failurePercentageHosts.push([host, monitor, rate]);
    }

    if (successRateHosts.length > 0 && successRateHosts.length >= s.successRateMinimumHosts) {
      const numbers = successRateEjectionThreshold(
        successRateHosts.map(([, , rate]) => rate),
        s.successRateStdevFactor,
      );
      this.successRateNumbers[origin] = numbers;
      const type: EjectionType = origin === 'external' ? 'SUCCESS_RATE' : 'SUCCESS_RATE_LOCAL_ORIGIN';
      for (const [host, monitor, rate] of successRateHosts) {
        if (rate >= numbers.threshold) continue;
        this.stats.ejections_success_rate.inc(); // deprecated
        this.stats[TYPES[type].detected].inc();
        if (!host.hasHealthFlag('FAILED_OUTLIER_CHECK')) this.ejectHost(host, monitor, type);
      }
    }

    if (failurePercentageHosts.length > 0 && failurePercentageHosts.length >= s.failurePercentageMinimumHosts) {
      const type: EjectionType = origin === 'external' ? 'FAILURE_PERCENTAGE' : 'FAILURE_PERCENTAGE_LOCAL_ORIGIN';
      for (const [host, monitor, rate] of failurePercentageHosts) {
        if (100 - rate < s.failurePercentageThreshold) continue;
        this.stats[TYPES[type].detected].inc();
        if (!host.hasHealthFlag('FAILED_OUTLIER_CHECK')) this.ejectHost(host, monitor, type);
      }
    }
  }
}
