/**
 * Active health checking (arch_overview/upstream/health_checking), as Envoy's
 * HealthCheckerImplBase (source/extensions/health_checkers/common/health_checker_base_impl.cc):
 * one session per host runs a probe (HTTP or TCP) every interval with a timeout.
 *
 * - A host's first check decides at once; later, `healthy_threshold` successes in a row clear
 *   FAILED_ACTIVE_HC, and `unhealthy_threshold` network failures (or timeouts) in a row set it.
 *   A failure the upstream itself reports (an unexpected HTTP status, a passive
 *   x-envoy-immediate-health-check-fail) fails the host at once; retriable statuses count
 *   toward the threshold.
 * - The next check comes after no_traffic_interval (no_traffic_healthy_interval for healthy
 *   hosts) until the cluster carries traffic, then after interval, unhealthy_interval, or the
 *   edge intervals while a change is pending, plus interval_jitter and interval_jitter_percent.
 * - Stats `cluster.<name>.health_check.{attempt,success,failure,network_failure,passive_failure,
 *   verify_cluster,healthy,degraded}`.
 */
import type { ConnectFn } from './conn-pool.js';
import type { HealthCheckSettings } from './health-check-config.js';
import { HttpProbe } from './health-check-http.js';
import { TcpProbe } from './health-check-tcp.js';
import { NULL_HEALTH_CHECK_MONITOR, type UpstreamHost } from './host.js';
import type { Random } from './lb.js';
import type { Scheduler, TimerHandle } from './scheduler.js';
import type { Counter, Gauge, StatsScope } from '../stats/stats.js';

/** Envoy's HealthCheckFailureType. */
export type HealthCheckFailureType = 'ACTIVE' | 'PASSIVE' | 'NETWORK' | 'NETWORK_TIMEOUT';

/** Envoy's HealthTransition. */
export type HealthTransition = 'UNCHANGED' | 'CHANGED' | 'CHANGE_PENDING';

export type CheckCompleteCallback = (host: UpstreamHost, transition: HealthTransition, healthy: boolean) => void;

const COUNTERS = ['attempt', 'success', 'failure', 'passive_failure', 'network_failure', 'verify_cluster'] as const;
const GAUGES = ['healthy', 'degraded'] as const;

export type HealthCheckStats = { readonly [K in (typeof COUNTERS)[number]]: Counter } & {
  readonly [K in (typeof GAUGES)[number]]: Gauge;
} & { readonly names: readonly string[] };

/** `cluster.<name>.health_check.*`. */
export function createHealthCheckStats(clusterScope: StatsScope): HealthCheckStats {
  const scope = clusterScope.scope('health_check.', 'health_check.');
  const stats: Record<string, unknown> = {};
  const names: string[] = [];
  for (const name of COUNTERS) {
    stats[name] = scope.counter(name);
    names.push((stats[name] as Counter).name);
  }
  for (const name of GAUGES) {
    stats[name] = scope.gauge(name);
    names.push((stats[name] as Gauge).name);
  }
  stats['names'] = names;
  return stats as HealthCheckStats;
}

export interface HealthCheckerDeps {
  readonly clusterName: string;
  readonly stats: HealthCheckStats;
  readonly scheduler: Scheduler;
  readonly random: Random;
  readonly connect: ConnectFn;
  /** Whether the cluster ever carried traffic; until then no_traffic_interval applies. */
  readonly hasTraffic: () => boolean;
}

/** What a probe reports to its session. */
export interface ProbeCallbacks {
  readonly host: UpstreamHost;
  success(degraded: boolean): void;
  failure(type: HealthCheckFailureType, retriable?: boolean): void;
}

/** One host's check protocol: starts a check, abandons one on timeout, releases its socket. */
export interface Probe {
  onInterval(): void;
  onTimeout(): void;
  destroy(): void;
}

class Session implements ProbeCallbacks {
  readonly host: UpstreamHost;
  firstCheck = true;
  private numHealthy = 0;
  private numUnhealthy = 0;
  private intervalTimer: TimerHandle | undefined;
  private timeoutTimer: TimerHandle | undefined;
  private active = true;
  private readonly checker: HealthChecker;
  private readonly probe: Probe;

  constructor(checker: HealthChecker, host: UpstreamHost) {
    this.checker = checker;
    this.host = host;
    this.probe = checker.createProbe(this);
    if (!host.hasHealthFlag('FAILED_ACTIVE_HC')) checker.deps.stats.healthy.inc();
    if (host.hasHealthFlag('DEGRADED_ACTIVE_HC')) checker.deps.stats.degraded.inc();
  }

  start(): void {
    const jitter = this.checker.settings.initialJitterMs;
    if (jitter === 0) this.onIntervalBase();
    else this.intervalTimer = this.checker.deps.scheduler.schedule(this.checker.withJitter(0, jitter), () => this.onIntervalBase());
  }

  /** Removed from the cluster or the checker stopped. */
  destroy(): void {
    if (!this.active) return;
    this.active = false;
    this.intervalTimer?.cancel();
    this.timeoutTimer?.cancel();
    this.probe.destroy();
    const stats = this.checker.deps.stats;
    if (!this.host.hasHealthFlag('FAILED_ACTIVE_HC')) stats.healthy.dec();
    if (this.host.hasHealthFlag('DEGRADED_ACTIVE_HC')) stats.degraded.dec();
    // Whoever waits for this host's first check (cluster warming) must not wait forever.
    if (this.firstCheck) this.checker.runCallbacks(this.host, 'UNCHANGED', !this.host.hasHealthFlag('FAILED_ACTIVE_HC'));
  }

  success(degraded: boolean): void {
    if (!this.active) return;
    const { host, checker } = this;
    const stats = checker.deps.stats;
    this.numUnhealthy = 0;
    let transition: HealthTransition = 'UNCHANGED';
    if (host.hasHealthFlag('FAILED_ACTIVE_HC')) {
      // The very first result counts at once, so startup is fast.
      if (this.firstCheck || ++this.numHealthy === checker.settings.healthyThreshold) {
        host.setHealthFlag('ACTIVE_HC_TIMEOUT', false);
        host.setHealthFlag('FAILED_ACTIVE_HC', false);
        stats.healthy.inc();
        transition = 'CHANGED';
      } else {
        transition = 'CHANGE_PENDING';
      }
    }
    if (degraded !== host.hasHealthFlag('DEGRADED_ACTIVE_HC')) {
      host.setHealthFlag('DEGRADED_ACTIVE_HC', degraded);
      if (degraded) stats.degraded.inc();
      else stats.degraded.dec();
      if (transition === 'UNCHANGED') transition = 'CHANGED';
    }
    stats.success.inc();
    this.firstCheck = false;
    checker.runCallbacks(host, transition, true);
    this.rearm(true, transition);
  }

  failure(type: HealthCheckFailureType, retriable = false): void {
    if (!this.active) return;
    const transition = this.setUnhealthy(type, retriable);
    this.rearm(false, transition);
  }

  /** Marks a failure without touching the timers (passive failures arrive between checks). */
  setUnhealthy(type: HealthCheckFailureType, retriable = false): HealthTransition {
    const { host, checker } = this;
    const stats = checker.deps.stats;
    const network = type === 'NETWORK' || type === 'NETWORK_TIMEOUT';
    this.numHealthy = 0;
    let transition: HealthTransition = 'UNCHANGED';
    if (!host.hasHealthFlag('FAILED_ACTIVE_HC')) {
      if ((!network && !retriable) || ++this.numUnhealthy === checker.settings.unhealthyThreshold) {
        host.setHealthFlag('FAILED_ACTIVE_HC', true);
        stats.healthy.dec();
        transition = 'CHANGED';
      } else {
        transition = 'CHANGE_PENDING';
      }
    }
    host.setHealthFlag('ACTIVE_HC_TIMEOUT', type === 'NETWORK_TIMEOUT' && host.hasHealthFlag('FAILED_ACTIVE_HC'));
    stats.failure.inc();
    if (network) stats.network_failure.inc();
    else if (type === 'PASSIVE') stats.passive_failure.inc();
    this.firstCheck = false;
    checker.runCallbacks(host, transition, false);
    return transition;
  }

  setUnhealthyPassive(): void {
    if (this.active) this.setUnhealthy('PASSIVE');
  }

  private rearm(healthy: boolean, transition: HealthTransition): void {
    if (!this.active) return; // a callback may have removed the host
    this.timeoutTimer?.cancel();
    this.timeoutTimer = undefined;
    this.intervalTimer?.cancel();
    this.intervalTimer = this.checker.deps.scheduler.schedule(this.checker.interval(healthy, transition), () =>
      this.onIntervalBase(),
    );
  }

  private onIntervalBase(): void {
    if (!this.active) return;
    this.intervalTimer = undefined;
    const { settings, deps } = this.checker;
    this.timeoutTimer = deps.scheduler.schedule(settings.timeoutMs, () => this.onTimeoutBase());
    deps.stats.attempt.inc();
    this.probe.onInterval();
  }

  private onTimeoutBase(): void {
    if (!this.active) return;
    this.timeoutTimer = undefined;
    this.probe.onTimeout();
    this.failure('NETWORK_TIMEOUT');
  }
}

export class HealthChecker {
  readonly settings: HealthCheckSettings;
  readonly deps: HealthCheckerDeps;
  private readonly sessions = new Map<UpstreamHost, Session>();
  private readonly callbacks: CheckCompleteCallback[] = [];
  private stopped = false;

  constructor(settings: HealthCheckSettings, deps: HealthCheckerDeps) {
    this.settings = settings;
    this.deps = deps;
  }

  /** Called after every check result (and for a removed host whose first check never ran). */
  addHostCheckCompleteCb(callback: CheckCompleteCallback): void {
    this.callbacks.push(callback);
  }

  addHosts(hosts: readonly UpstreamHost[]): void {
    if (this.stopped) return;
    for (const host of hosts) {
      if (this.sessions.has(host)) continue;
      const session = new Session(this, host);
      this.sessions.set(host, session);
      host.healthChecker = {
        // Envoy posts this to the main thread; a microtask keeps it off the caller's stack too.
        setUnhealthy: () => queueMicrotask(() => session.setUnhealthyPassive()),
      };
      session.start();
    }
  }

  removeHosts(hosts: readonly UpstreamHost[]): void {
    for (const host of hosts) {
      const session = this.sessions.get(host);
      if (!session) continue;
      this.sessions.delete(host);
      host.healthChecker = NULL_HEALTH_CHECK_MONITOR;
      session.destroy();
    }
  }

  /** Whether `host`'s first check is still to come. */
  awaitingFirstCheck(host: UpstreamHost): boolean {
    return this.sessions.get(host)?.firstCheck ?? false;
  }

  /** The cluster is gone: no more checks, timers or sockets. */
  stop(): void {
    this.stopped = true;
    this.removeHosts([...this.sessions.keys()]);
    this.callbacks.length = 0;
  }

  /** @internal */
  runCallbacks(host: UpstreamHost, transition: HealthTransition, healthy: boolean): void {
    for (const callback of this.callbacks) callback(host, transition, healthy);
  }

  /** @internal HealthCheckerImplBase::interval. */
  interval(healthy: boolean, transition: HealthTransition): number {
    const s = this.settings;
    let base: number;
    if (this.deps.hasTraffic()) {
      const pending = transition === 'CHANGE_PENDING';
      if (healthy) base = pending ? s.healthyEdgeIntervalMs : s.intervalMs;
      else base = pending ? s.unhealthyEdgeIntervalMs : s.unhealthyIntervalMs;
    } else {
      base = healthy && transition !== 'CHANGE_PENDING' ? s.noTrafficHealthyIntervalMs : s.noTrafficIntervalMs;
    }
    return this.withJitter(base, s.intervalJitterMs);
  }

  /** @internal HealthCheckerImplBase::intervalWithJitter (never 0, to avoid a live lock). */
  withJitter(baseMs: number, jitterMs: number): number {
    let ms = baseMs;
    const percentMod = Math.floor((this.settings.intervalJitterPercent * baseMs) / 100);
    if (percentMod > 0) ms += this.deps.random() % percentMod;
    if (jitterMs > 0) ms += this.deps.random() % jitterMs;
    return Math.max(1, ms);
  }

  /** @internal */
  createProbe(callbacks: ProbeCallbacks): Probe {
    const check = this.settings.check;
    if (check.type === 'http') return new HttpProbe(check, this.settings.reuseConnection, callbacks, this.deps);
    return new TcpProbe(check, this.settings.reuseConnection, callbacks, this.deps.connect);
  }
}
