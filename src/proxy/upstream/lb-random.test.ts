import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertNear, countPicks, host, lbParams, prioritySet } from './fixtures.test.util.js';
import { RandomLoadBalancer } from './lb-random.js';

describe('RANDOM', () => {
  it('picks uniformly among healthy hosts, ignoring weights', () => {
    const hosts = [
      host('a', { weight: 1 }),
      host('b', { weight: 5 }),
      host('c'),
      host('down', { healthStatus: 'DRAINING' }),
    ];
    const lb = new RandomLoadBalancer(lbParams(prioritySet([hosts])));
    const counts = countPicks(() => lb.chooseHost(undefined), 30_000);
    assert.equal(counts.get('down'), undefined);
    for (const a of ['a', 'b', 'c']) assertNear(counts.get(a) ?? 0, 10_000, 400, a);
  });
});
