import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HealthCheck__Output } from '../../xds/generated/envoy/config/core/v3/HealthCheck.js';
import { decodeProtoJson } from '../../xds/proto-json.js';
import { StatsStore } from '../stats/stats.js';
import { clusterStatsScope } from './cluster-stats.js';
import { defaultConnect } from './conn-pool.js';
import { host, ManualScheduler } from './fixtures.test.util.js';
import { parseHealthChecks } from './health-check-config.js';
import { createHealthCheckStats, HealthChecker, type Probe, type ProbeCallbacks } from './health-checker.js';

/** A probe the test answers by hand. */
class FakeProbe implements Probe {
  checks = 0;
  timeouts = 0;
  destroyed = false;
  readonly callbacks: ProbeCallbacks;
  constructor(callbacks: ProbeCallbacks) {
    this.callbacks = callbacks;
  }
  onInterval(): void {
    this.checks++;
  }
  onTimeout(): void {
    this.timeouts++;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

class TestChecker extends HealthChecker {
  readonly probes: FakeProbe[] = [];
  override createProbe(callbacks: ProbeCallbacks): Probe {
    const probe = new FakeProbe(callbacks);
    this.probes.push(probe);
    return probe;
  }
}

function setup(json: object, traffic = { value: false }, random = () => 0) {
  const decoded = decodeProtoJson<HealthCheck__Output>('envoy.config.core.v3.HealthCheck', {
    timeout: '1s',
    interval: '10s',
    unhealthy_threshold: 2,
    healthy_threshold: 2,
    tcp_health_check: {},
    ...json,
  });
  if (!decoded.ok) assert.fail(JSON.stringify(decoded.errors));
  const errors: never[] = [];
  const settings = parseHealthChecks([decoded.value], [], errors);
  assert.ok(settings, JSON.stringify(errors));
  const clock = new ManualScheduler();
  const stats = createHealthCheckStats(clusterStatsScope(new StatsStore().root(), 'web'));
  const checker = new TestChecker(settings, {
    clusterName: 'web',
    stats,
    scheduler: clock,
    random,
    connect: defaultConnect,
    hasTraffic: () => traffic.value,
  });
  const h = host('10.0.0.1');
  h.setHealthFlag('FAILED_ACTIVE_HC'); // as the cluster creates hosts under health checking
  checker.addHosts([h]);
  return { checker, clock, stats, h, probe: checker.probes[0]! };
}

describe('health checker', () => {
  it('decides on the first result, then needs healthy_threshold / unhealthy_threshold in a row', () => {
    const { h, probe, stats } = setup({});
    assert.equal(probe.checks, 1); // the first check runs at once
    probe.callbacks.success(false);
    assert.equal(h.healthy, true);
    assert.equal(stats.healthy.value, 1);
    probe.callbacks.failure('NETWORK');
    assert.equal(h.healthy, true, 'one network failure of two');
    probe.callbacks.success(false);
    probe.callbacks.failure('NETWORK');
    probe.callbacks.failure('NETWORK');
    assert.equal(h.healthy, false);
    assert.equal(stats.healthy.value, 0);
    assert.equal(stats.network_failure.value, 3);
    probe.callbacks.success(false);
    assert.equal(h.healthy, false, 'one success of two');
    probe.callbacks.success(false);
    assert.equal(h.healthy, true);
    probe.callbacks.failure('ACTIVE'); // the upstream said so: at once
    assert.equal(h.healthy, false);
    assert.equal(stats.failure.value, 4);
    assert.equal(stats.success.value, 4);
  });

  it('fails a check at its timeout and marks ACTIVE_HC_TIMEOUT once failed', () => {
    const { h, probe, clock, stats } = setup({ unhealthy_threshold: 1 });
    clock.advance(1000);
    assert.equal(probe.timeouts, 1);
    assert.equal(h.hasHealthFlag('ACTIVE_HC_TIMEOUT'), true);
    assert.equal(stats.network_failure.value, 1);
    assert.equal(stats.attempt.value, 1);
  });

  it('uses no_traffic_interval until the cluster has traffic, then the health-dependent intervals', () => {
    const traffic = { value: false };
    const { checker } = setup(
      {
        no_traffic_interval: '60s',
        no_traffic_healthy_interval: '90s',
        unhealthy_interval: '20s',
        unhealthy_edge_interval: '3s',
        healthy_edge_interval: '4s',
      },
      traffic,
    );
    assert.equal(checker.interval(false, 'UNCHANGED'), 60_000);
    assert.equal(checker.interval(true, 'CHANGE_PENDING'), 60_000);
    assert.equal(checker.interval(true, 'CHANGED'), 90_000);
    traffic.value = true;
    assert.equal(checker.interval(true, 'UNCHANGED'), 10_000);
    assert.equal(checker.interval(true, 'CHANGE_PENDING'), 4000);
    assert.equal(checker.interval(false, 'UNCHANGED'), 20_000);
    assert.equal(checker.interval(false, 'CHANGE_PENDING'), 3000);
  });

  it('adds interval_jitter and interval_jitter_percent, and schedules the next check by them', () => {
    const traffic = { value: true };
    const { checker, clock, probe } = setup({ interval_jitter: '1s', interval_jitter_percent: 10 }, traffic, () => 700);
    assert.equal(checker.interval(true, 'UNCHANGED'), 10_000 + (700 % 1000) + (700 % 1000));
    probe.callbacks.success(false);
    clock.advance(11_399);
    assert.equal(probe.checks, 1);
    clock.advance(1);
    assert.equal(probe.checks, 2);
  });

  it('fails the host on a passive x-envoy-immediate-health-check-fail report', async () => {
    const { h, probe, stats } = setup({});
    probe.callbacks.success(false);
    h.healthChecker.setUnhealthy('IMMEDIATE_HEALTH_CHECK_FAIL');
    await Promise.resolve();
    assert.equal(h.healthy, false);
    assert.equal(stats.passive_failure.value, 1);
  });

  it('stops every session, timer and probe when stopped', () => {
    const { checker, clock, probe, stats } = setup({});
    probe.callbacks.success(false);
    checker.stop();
    assert.equal(probe.destroyed, true);
    assert.equal(clock.pending, 0);
    assert.equal(stats.healthy.value, 0);
  });
});
