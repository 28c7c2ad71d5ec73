import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { host, prioritySet } from './fixtures.test.util.js';
import { choosePriority, computePriorityLoad } from './priority-load.js';

function hosts(prefix: string, healthy: number, unhealthy = 0, degraded = 0) {
  return [
    ...Array.from({ length: healthy }, (_, i) => host(`${prefix}.h${i}`)),
    ...Array.from({ length: unhealthy }, (_, i) => host(`${prefix}.u${i}`, { healthStatus: 'UNHEALTHY' })),
    ...Array.from({ length: degraded }, (_, i) => host(`${prefix}.d${i}`, { healthStatus: 'DEGRADED' })),
  ];
}

describe('computePriorityLoad', () => {
  // The tables of arch_overview/upstream/load_balancing/priority (overprovisioning factor 1.4).
  const cases: [number, number, number, number][] = [
    // P0 healthy %, P1 healthy %, expected P0 load, expected P1 load
    [100, 100, 100, 0],
    [72, 100, 100, 0],
    [71, 100, 99, 1],
    [50, 100, 70, 30],
    [25, 100, 35, 65],
    [0, 100, 0, 100],
  ];
  for (const [p0, p1, load0, load1] of cases) {
    it(`P0 ${p0}% and P1 ${p1}% healthy gives ${load0}/${load1}`, () => {
      const set = prioritySet([hosts('p0', p0, 100 - p0), hosts('p1', p1, 100 - p1)]);
      const load = computePriorityLoad(set.hostSets, 50);
      assert.deepEqual(load.healthy, [load0, load1]);
      assert.deepEqual(load.degraded, [0, 0]);
    });
  }

  it('spills to a third priority and honours the overprovisioning factor', () => {
    // 20% healthy at factor 1.4 is 28 health; 10 at P1 is 14; P2 takes the rest.
    const set = prioritySet([hosts('a', 2, 8), hosts('b', 1, 9), hosts('c', 10)]);
    assert.deepEqual(computePriorityLoad(set.hostSets, 0).healthy, [28, 14, 58]);
    const unfactored = prioritySet([hosts('a', 9, 1), hosts('b', 10)], { factor: 100 });
    assert.deepEqual(computePriorityLoad(unfactored.hostSets, 0).healthy, [90, 10]);
  });

  it('sends load to degraded hosts only when healthy ones cannot take it', () => {
    // P0: 1 healthy + 4 degraded of 10 → health 14, degraded 56; P1 all unhealthy.
    const set = prioritySet([hosts('a', 1, 5, 4), hosts('b', 0, 10)]);
    const load = computePriorityLoad(set.hostSets, 0);
    // normalized total 70: healthy 14*100/70 = 20, degraded 56*100/70 = 80.
    assert.deepEqual(load.healthy, [20, 0]);
    assert.deepEqual(load.degraded, [80, 0]);
    const healthyToo = prioritySet([hosts('a', 1, 5, 4), hosts('b', 10)]);
    const load2 = computePriorityLoad(healthyToo.hostSets, 0);
    assert.deepEqual(load2.healthy, [14, 86]);
    assert.deepEqual(load2.degraded, [0, 0]);
  });

  it('with weighted_priority_health, weighs health by host weight', () => {
    const heavy = host('heavy', { weight: 8 });
    const light = [host('l1', { weight: 1 }), host('l2', { weight: 1, healthStatus: 'UNHEALTHY' })];
    const set = prioritySet([[heavy, ...light], hosts('b', 10)]);
    heavy.healthStatus = 'UNHEALTHY';
    set.hostSets[0]!.partition();
    assert.deepEqual(computePriorityLoad(set.hostSets, 0).healthy, [46, 54], 'by count: 1 of 3 healthy');
    set.hostSets[0]!.update(set.hostSets[0]!.hosts, [], 140, true);
    assert.deepEqual(computePriorityLoad(set.hostSets, 0).healthy, [14, 86], 'by weight: 1 of 10 healthy');
  });

  it('puts a priority below the panic threshold in panic unless total health is 100', () => {
    const set = prioritySet([hosts('a', 4, 6), hosts('b', 10)]);
    const load = computePriorityLoad(set.hostSets, 50);
    assert.deepEqual(load.healthy, [56, 44]);
    assert.deepEqual(load.panic, [false, false], 'normalized total health is 100');
    const weak = prioritySet([hosts('a', 4, 6), hosts('b', 2, 8)]);
    const weakLoad = computePriorityLoad(weak.hostSets, 50);
    assert.deepEqual(weakLoad.panic, [true, true]);
  });

  it('spreads load by host count when every priority is in panic', () => {
    const set = prioritySet([hosts('a', 0, 3), hosts('b', 0, 1)]);
    const load = computePriorityLoad(set.hostSets, 50);
    assert.deepEqual(load.healthy, [75, 25]);
    assert.deepEqual(load.panic, [true, true]);
  });

  it('with panic disabled and nothing healthy, nominally loads P0', () => {
    const set = prioritySet([hosts('a', 0, 3)]);
    const load = computePriorityLoad(set.hostSets, 0);
    assert.deepEqual(load.healthy, [100]);
    assert.deepEqual(load.panic, [false]);
  });
});

describe('choosePriority', () => {
  it('maps hash % 100 + 1 onto the cumulative loads', () => {
    const load = { healthy: [70, 20], degraded: [0, 10], panic: [false, false] };
    assert.deepEqual(choosePriority(0, load), { priority: 0, degraded: false });
    assert.deepEqual(choosePriority(69, load), { priority: 0, degraded: false });
    assert.deepEqual(choosePriority(70, load), { priority: 1, degraded: false });
    assert.deepEqual(choosePriority(95, load), { priority: 1, degraded: true });
    assert.deepEqual(choosePriority(199, load), { priority: 1, degraded: true });
  });
});
