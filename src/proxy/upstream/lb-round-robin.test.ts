import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertNear, countPicks, host, lbParams, prioritySet } from './fixtures.test.util.js';
import { RoundRobinLoadBalancer } from './lb-round-robin.js';

describe('ROUND_ROBIN', () => {
  it('cycles through equally weighted hosts in order', () => {
    const hosts = ['a', 'b', 'c'].map((a) => host(a));
    const lb = new RoundRobinLoadBalancer(lbParams(prioritySet([hosts])));
    const picks = Array.from({ length: 6 }, () => lb.chooseHost(undefined)!.address);
    // Starts at a random point, then strictly in order.
    const start = hosts.findIndex((h) => h.address === picks[0]);
    assert.deepEqual(
      picks,
      Array.from({ length: 6 }, (_, i) => hosts[(start + i) % 3]!.address),
    );
  });

  it('weights 1:2:3 by EDF, exactly over whole cycles', () => {
    const hosts = [host('a', { weight: 1 }), host('b', { weight: 2 }), host('c', { weight: 3 })];
    const lb = new RoundRobinLoadBalancer(lbParams(prioritySet([hosts])));
    const counts = countPicks(() => lb.chooseHost(undefined), 6000);
    assert.deepEqual(Object.fromEntries(counts), { a: 1000, b: 2000, c: 3000 });
  });

  it('skips unhealthy hosts and follows health changes', () => {
    const hosts = ['a', 'b', 'c'].map((a) => host(a));
    hosts[1]!.healthStatus = 'UNHEALTHY';
    const set = prioritySet([hosts]);
    const lb = new RoundRobinLoadBalancer(lbParams(set, { panicThreshold: 0 }));
    assert.deepEqual([...countPicks(() => lb.chooseHost(undefined), 100).keys()].sort(), ['a', 'c']);
    hosts[0]!.setHealthFlag('FAILED_OUTLIER_CHECK'); // e.g. an outlier detector
    assert.deepEqual([...countPicks(() => lb.chooseHost(undefined), 10).keys()], ['c']);
    hosts[0]!.setHealthFlag('FAILED_OUTLIER_CHECK', false);
    assert.deepEqual([...countPicks(() => lb.chooseHost(undefined), 100).keys()].sort(), ['a', 'c']);
  });

  it('fails over to lower priorities as health drops, by the overprovisioning factor', () => {
    const p0 = Array.from({ length: 10 }, (_, i) => host(`p0-${i}`));
    const p1 = Array.from({ length: 10 }, (_, i) => host(`p1-${i}`));
    const set = prioritySet([p0, p1]);
    const lb = new RoundRobinLoadBalancer(lbParams(set));
    const share = (): number => {
      const counts = countPicks(() => lb.chooseHost(undefined), 10_000);
      let p0picks = 0;
      for (const [address, n] of counts) if (address.startsWith('p0')) p0picks += n;
      return p0picks / 10_000;
    };
    assert.equal(share(), 1);
    for (let i = 0; i < 5; i++) p0[i]!.setHealthFlag('FAILED_OUTLIER_CHECK'); // 50% healthy → 70% of the load
    assertNear(share(), 0.7, 0.03, 'P0 share at 50% healthy');
    for (const h of p0) h.setHealthFlag('FAILED_OUTLIER_CHECK');
    assert.equal(share(), 0);
  });

  it('in panic, balances over all hosts of the priority and counts lb_healthy_panic', () => {
    const hosts = ['a', 'b', 'c', 'd'].map((a) => host(a));
    for (const h of hosts.slice(1)) h.healthStatus = 'UNHEALTHY';
    const params = lbParams(prioritySet([hosts]));
    const lb = new RoundRobinLoadBalancer(params);
    const counts = countPicks(() => lb.chooseHost(undefined), 400);
    assert.deepEqual(Object.fromEntries(counts), { a: 100, b: 100, c: 100, d: 100 });
    assert.equal(params.stats.lb_healthy_panic.value, 400);
  });

  it('uses degraded hosts only when healthy ones cannot take the load', () => {
    const healthy = Array.from({ length: 2 }, (_, i) => host(`h${i}`));
    const degraded = Array.from({ length: 8 }, (_, i) => host(`d${i}`, { healthStatus: 'DEGRADED' }));
    const lb = new RoundRobinLoadBalancer(lbParams(prioritySet([[...healthy, ...degraded]])));
    const counts = countPicks(() => lb.chooseHost(undefined), 10_000);
    let healthyPicks = 0;
    for (const [address, n] of counts) if (address.startsWith('h')) healthyPicks += n;
    // health 28, degraded 100 (capped): normalized 100 → 28% healthy, 72% degraded.
    assertNear(healthyPicks / 10_000, 0.28, 0.03, 'healthy share');

    const enough = Array.from({ length: 8 }, (_, i) => host(`h${i}`));
    const lb2 = new RoundRobinLoadBalancer(
      lbParams(prioritySet([[...enough, host('d', { healthStatus: 'DEGRADED' })]])),
    );
    assert.equal(countPicks(() => lb2.chooseHost(undefined), 1000).get('d'), undefined);
  });

  it('picks no host from an empty cluster', () => {
    const lb = new RoundRobinLoadBalancer(lbParams(prioritySet([[]])));
    assert.equal(lb.chooseHost(undefined), undefined);
  });

  it('with locality-weighted balancing, splits by effective locality weight', () => {
    // Locality X weight 1, Y weight 2; the docs' table: X at 50% healthy gets 26%.
    const x = Array.from({ length: 10 }, (_, i) => host(`x${i}`, { locality: 'r/x/' }));
    const y = Array.from({ length: 10 }, (_, i) => host(`y${i}`, { locality: 'r/y/' }));
    const set = prioritySet([[...x, ...y]], {
      localities: [
        [
          { locality: 'r/x/', weight: 1 },
          { locality: 'r/y/', weight: 2 },
        ],
      ],
    });
    const lb = new RoundRobinLoadBalancer(lbParams(set, { localityWeighted: true }));
    const xShare = (): number => {
      const counts = countPicks(() => lb.chooseHost(undefined), 30_000);
      let n = 0;
      for (const [address, c] of counts) if (address.startsWith('x')) n += c;
      return n / 30_000;
    };
    assertNear(xShare(), 1 / 3, 0.01, 'all healthy');
    for (let i = 0; i < 5; i++) x[i]!.setHealthFlag('FAILED_OUTLIER_CHECK');
    // effective X = 1 × min(1, 1.4 × 0.5) = 0.7 → 0.7 / 2.7 = 26%
    assertNear(xShare(), 0.7 / 2.7, 0.01, 'X half healthy');
  });
});
