import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutlierDetection__Output } from '../../xds/generated/envoy/config/cluster/v3/OutlierDetection.js';
import { decodeProtoJson } from '../../xds/proto-json.js';
import { StatsStore } from '../stats/stats.js';
import { clusterStatsScope } from './cluster-stats.js';
import { host, ManualScheduler, seededRandom } from './fixtures.test.util.js';
import type { UpstreamHost } from './host.js';
import { parseOutlierDetection } from './outlier-config.js';
import { createOutlierStats, OutlierDetector, successRateEjectionThreshold } from './outlier-detector.js';

function setup(json: object, hostCount = 10, random = seededRandom(3)) {
  const decoded = decodeProtoJson<OutlierDetection__Output>('envoy.config.cluster.v3.OutlierDetection', json);
  if (!decoded.ok) assert.fail(JSON.stringify(decoded.errors));
  const errors: never[] = [];
  const settings = parseOutlierDetection(decoded.value, [], errors);
  assert.ok(settings, JSON.stringify(errors));
  const clock = new ManualScheduler();
  const stats = createOutlierStats(clusterStatsScope(new StatsStore().root(), 'web'));
  const detector = new OutlierDetector(settings, stats, clock, random);
  const hosts = Array.from({ length: hostCount }, (_, i) => host(`10.0.0.${i + 1}`));
  for (const h of hosts) detector.addHost(h);
  return { detector, stats, clock, hosts };
}

const ejected = (h: UpstreamHost): boolean => h.hasHealthFlag('FAILED_OUTLIER_CHECK');

function put(h: UpstreamHost, status: number, times: number): void {
  for (let i = 0; i < times; i++) h.outlier.putHttpResponseCode(status);
}

describe('outlier detection', () => {
  it('computes the success-rate threshold as mean − factor × population stdev', () => {
    const { mean, threshold } = successRateEjectionThreshold([50, 100, 100, 100, 100], 1.9);
    assert.equal(mean, 90);
    assert.ok(Math.abs(threshold - 52) < 1e-9, String(threshold));
    assert.deepEqual(successRateEjectionThreshold([80, 80], 1.9), { mean: 80, threshold: 80 });
  });

  it('ejects after consecutive_5xx errors in a row; a success resets the run', () => {
    const { stats, hosts } = setup({});
    const [a] = hosts;
    put(a!, 500, 4);
    a!.outlier.putHttpResponseCode(200);
    put(a!, 500, 4);
    assert.equal(ejected(a!), false);
    a!.outlier.putHttpResponseCode(500);
    assert.equal(ejected(a!), true);
    assert.equal(a!.healthy, false);
    assert.equal(stats.ejections_active.value, 1);
    assert.equal(stats.ejections_enforced_total.value, 1);
    assert.equal(stats.ejections_enforced_consecutive_5xx.value, 1);
    assert.equal(stats.ejections_detected_consecutive_5xx.value, 1);
    assert.equal(stats.ejections_total.value, 1);
  });

  it('returns a host on the sweep after base_ejection_time × ejections, capped by max_ejection_time', () => {
    const { clock, hosts, stats } = setup({
      interval: '1s',
      base_ejection_time: '3s',
      max_ejection_time: '5s',
      consecutive_5xx: 1,
      max_ejection_percent: 100,
    });
    const [a] = hosts;
    a!.outlier.putHttpResponseCode(503);
    clock.advance(2000);
    assert.equal(ejected(a!), true);
    clock.advance(1000); // the sweep at 3 s sees 3 s ≥ 3 s × 1
    assert.equal(ejected(a!), false);
    assert.equal(stats.ejections_active.value, 0);

    a!.outlier.putHttpResponseCode(503); // second ejection: min(3 s × 2, 5 s) = 5 s
    const ejectedAt = clock.now();
    clock.advance(4000);
    assert.equal(ejected(a!), true);
    clock.advance(1000);
    assert.equal(ejected(a!), false, `returned after ${clock.now() - ejectedAt} ms`);
  });

  it('shortens the next ejection by one base_ejection_time per healthy interval', () => {
    const { clock, hosts, detector } = setup({
      interval: '1s',
      base_ejection_time: '1s',
      consecutive_5xx: 1,
      max_ejection_percent: 100,
    });
    const [a] = hosts;
    const monitor = detector.monitorOf(a!)!;
    for (let i = 0; i < 3; i++) {
      a!.outlier.putHttpResponseCode(500);
      while (ejected(a!)) clock.advance(1000);
    }
    assert.equal(monitor.ejectTimeBackoff, 3);
    assert.equal(monitor.numEjections, 3);
    clock.advance(1000); // at least one interval after unejection: the sweep decrements
    assert.equal(monitor.ejectTimeBackoff, 2);
    clock.advance(5000);
    assert.equal(monitor.ejectTimeBackoff, 0);
  });

  it('adds up to max_ejection_time_jitter to the ejection time', () => {
    const { clock, hosts, detector } = setup(
      { interval: '0.1s', base_ejection_time: '1s', max_ejection_time_jitter: '0.5s', consecutive_5xx: 1, max_ejection_percent: 100 },
      10,
      () => 350, // 350 % 501 = 350 ms of jitter
    );
    const [a] = hosts;
    a!.outlier.putHttpResponseCode(500);
    assert.equal(detector.monitorOf(a!)!.jitterMs, 350);
    clock.advance(1300);
    assert.equal(ejected(a!), true);
    clock.advance(100);
    assert.equal(ejected(a!), false);
  });

  it('respects max_ejection_percent over all hosts, counting ejections_overflow', () => {
    const { hosts, stats } = setup({ consecutive_5xx: 1, max_ejection_percent: 50 }, 4);
    for (const h of hosts) h.outlier.putHttpResponseCode(500);
    assert.deepEqual(hosts.map(ejected), [true, true, false, false]);
    assert.equal(stats.ejections_active.value, 2);
    assert.equal(stats.ejections_overflow.value, 2);
  });

  it('with the 10 % default ejects nothing from 2 hosts, unless always_eject_one_host', () => {
    const plain = setup({ consecutive_5xx: 1 }, 2);
    plain.hosts[0]!.outlier.putHttpResponseCode(500);
    assert.equal(ejected(plain.hosts[0]!), false);
    assert.equal(plain.stats.ejections_overflow.value, 1);

    const one = setup({ consecutive_5xx: 1, always_eject_one_host: true }, 2);
    for (const h of one.hosts) h.outlier.putHttpResponseCode(500);
    assert.deepEqual(one.hosts.map(ejected), [true, false]);
  });

  it('detects consecutive gateway failures but enforces them at 0 % by default', () => {
    const off = setup({ consecutive_5xx: 10, max_ejection_percent: 100 });
    put(off.hosts[0]!, 502, 5);
    assert.equal(ejected(off.hosts[0]!), false);
    assert.equal(off.stats.ejections_detected_consecutive_gateway_failure.value, 1);
    assert.equal(off.stats.ejections_enforced_consecutive_gateway_failure.value, 0);

    const on = setup({ consecutive_5xx: 10, enforcing_consecutive_gateway_failure: 100, max_ejection_percent: 100 });
    put(on.hosts[0]!, 500, 3); // not gateway errors: the gateway run restarts
    put(on.hosts[0]!, 504, 4);
    assert.equal(ejected(on.hosts[0]!), false);
    on.hosts[0]!.outlier.putHttpResponseCode(503);
    assert.equal(ejected(on.hosts[0]!), true);
    assert.equal(on.stats.ejections_enforced_consecutive_gateway_failure.value, 1);
  });

  it('without split_external_local_origin_errors maps local events to HTTP codes', () => {
    const { hosts, stats } = setup({ consecutive_5xx: 3, max_ejection_percent: 100 });
    const [a] = hosts;
    a!.outlier.putResult('LOCAL_ORIGIN_CONNECT_FAILED');
    a!.outlier.putResult('LOCAL_ORIGIN_CONNECT_SUCCESS'); // ignored: the HTTP result follows
    a!.outlier.putResult('LOCAL_ORIGIN_TIMEOUT');
    assert.equal(ejected(a!), false);
    a!.outlier.putResult('LOCAL_ORIGIN_CONNECT_SUCCESS_FINAL'); // a 200: resets the run
    put(a!, 503, 2);
    assert.equal(ejected(a!), false);
    a!.outlier.putResult('LOCAL_ORIGIN_CONNECT_FAILED');
    assert.equal(ejected(a!), true);
    assert.equal(stats.ejections_enforced_consecutive_5xx.value, 1);
    assert.equal(stats.ejections_detected_consecutive_local_origin_failure.value, 0);
  });

  it('with split_external_local_origin_errors counts local failures on their own', () => {
    const { hosts, stats } = setup({
      split_external_local_origin_errors: true,
      consecutive_local_origin_failure: 2,
      consecutive_5xx: 2,
      max_ejection_percent: 100,
    });
    const [a, b] = hosts;
    a!.outlier.putResult('LOCAL_ORIGIN_CONNECT_FAILED');
    a!.outlier.putResult('LOCAL_ORIGIN_CONNECT_SUCCESS'); // resets the local run
    a!.outlier.putHttpResponseCode(503); // the external run is separate
    a!.outlier.putResult('LOCAL_ORIGIN_TIMEOUT');
    assert.equal(ejected(a!), false);
    a!.outlier.putResult('LOCAL_ORIGIN_CONNECT_FAILED');
    assert.equal(ejected(a!), true);
    assert.equal(stats.ejections_enforced_consecutive_local_origin_failure.value, 1);
    assert.equal(stats.ejections_detected_consecutive_5xx.value, 0);

    b!.outlier.putResult('EXT_ORIGIN_REQUEST_FAILED'); // counts as a 503
    b!.outlier.putResult('LOCAL_ORIGIN_CONNECT_SUCCESS'); // does not reset the external run
    b!.outlier.putResult('EXT_ORIGIN_REQUEST_FAILED');
    assert.equal(ejected(b!), true);
    assert.equal(stats.ejections_enforced_consecutive_5xx.value, 1);
  });

  it('ejects success-rate outliers at the sweep from the last interval’s counts', () => {
    const { clock, hosts, stats, detector } = setup(
      { interval: '1s', consecutive_5xx: 0, max_ejection_percent: 100 },
      5,
    );
    for (const [i, h] of hosts.entries()) {
      put(h, 200, i === 0 ? 50 : 100);
      if (i === 0) put(h, 500, 50);
    }
    assert.equal(ejected(hosts[0]!), false); // consecutive_5xx 0 disables that detector
    clock.advance(1000);
    assert.deepEqual(hosts.map(ejected), [true, false, false, false, false]);
    assert.deepEqual(detector.successRateNumbers.external, { mean: 90, threshold: 90 - 1.9 * 20 });
    assert.equal(detector.monitorOf(hosts[0]!)!.externalSuccessRate, 50);
    assert.equal(stats.ejections_detected_success_rate.value, 1);
    assert.equal(stats.ejections_enforced_success_rate.value, 1);
  });

  it('skips success rate below success_rate_minimum_hosts or success_rate_request_volume', () => {
    const { clock, hosts, stats } = setup({ interval: '1s', consecutive_5xx: 0, max_ejection_percent: 100 }, 5);
    for (const [i, h] of hosts.entries()) put(h, i === 0 ? 500 : 200, i === 4 ? 99 : 100);
    clock.advance(1000); // host 4 lacks volume: only 4 hosts qualify
    assert.equal(stats.ejections_detected_success_rate.value, 0);
    assert.equal(ejected(hosts[0]!), false);
  });

  it('ejects by failure percentage when enforced, and by local-origin failure percentage with split', () => {
    const { clock, hosts, stats } = setup(
      {
        interval: '1s',
        consecutive_5xx: 0,
        split_external_local_origin_errors: true,
        consecutive_local_origin_failure: 0,
        enforcing_success_rate: 0,
        enforcing_local_origin_success_rate: 0,
        enforcing_failure_percentage: 100,
        enforcing_failure_percentage_local_origin: 100,
        failure_percentage_minimum_hosts: 2, // the local pass skips host a, ejected by the external one
        failure_percentage_request_volume: 10,
        max_ejection_percent: 100,
      },
      3,
    );
    const [a, b, c] = hosts;
    put(a!, 500, 9);
    put(a!, 200, 1); // 90 % failures ≥ 85
    put(b!, 500, 8);
    put(b!, 200, 2); // 80 %: stays
    for (let i = 0; i < 10; i++) {
      // Every host needs local-origin volume for that detector's minimum_hosts.
      a!.outlier.putResult('LOCAL_ORIGIN_CONNECT_SUCCESS');
      b!.outlier.putResult('LOCAL_ORIGIN_CONNECT_SUCCESS');
      c!.outlier.putResult('LOCAL_ORIGIN_CONNECT_FAILED');
    }
    put(c!, 200, 10);
    clock.advance(1000);
    assert.deepEqual(hosts.map(ejected), [true, false, true]);
    assert.equal(stats.ejections_enforced_failure_percentage.value, 1);
    assert.equal(stats.ejections_enforced_local_origin_failure_percentage.value, 1);
  });

  it('a passing active health check ends an ejection; removing a host releases its ejection', () => {
    const { hosts, stats, detector } = setup({ consecutive_5xx: 1, max_ejection_percent: 100 });
    const [a, b] = hosts;
    a!.outlier.putHttpResponseCode(500);
    b!.outlier.putHttpResponseCode(500);
    assert.equal(stats.ejections_active.value, 2);
    detector.onActiveHealthCheckSuccess(a!);
    assert.equal(ejected(a!), false);
    detector.removeHost(b!);
    assert.equal(stats.ejections_active.value, 0);
    b!.outlier.putHttpResponseCode(500); // no longer monitored
    assert.equal(stats.ejections_detected_consecutive_5xx.value, 2);
  });

  it('stops its sweep and gives back ejections_active when destroyed', () => {
    const { clock, hosts, stats, detector } = setup({ consecutive_5xx: 1, max_ejection_percent: 100 });
    hosts[0]!.outlier.putHttpResponseCode(500);
    assert.equal(clock.pending, 1);
    detector.destroy();
    assert.equal(clock.pending, 0);
    assert.equal(stats.ejections_active.value, 0);
  });
});
