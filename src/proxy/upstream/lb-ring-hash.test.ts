import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashString } from '../../lib/hash.js';
import type { ConfigError } from '../config/config-error.js';
import { assertNear, clusterConfig, countPicks, host, lbParams, prioritySet } from './fixtures.test.util.js';
import { normalizeWeights } from './lb-hashing-base.js';
import { Ring, RingHashLoadBalancer, ringHashFactory } from './lb-ring-hash.js';

const keys = Array.from({ length: 10_000 }, (_, i) => hashString(`user-${i}`));

function hostsNamed(n: number) {
  return Array.from({ length: n }, (_, i) => host(`10.0.0.${i + 1}`));
}

describe('RING_HASH', () => {
  it('maps the same key to the same host, every time and across rebuilds', () => {
    const lb = new RingHashLoadBalancer(lbParams(prioritySet([hostsNamed(5)])));
    const again = new RingHashLoadBalancer(lbParams(prioritySet([hostsNamed(5)])));
    for (const hashKey of keys.slice(0, 1000)) {
      const first = lb.chooseHost({ hashKey })!.address;
      assert.equal(lb.chooseHost({ hashKey })!.address, first);
      assert.equal(again.chooseHost({ hashKey })!.address, first);
    }
  });

  it('spreads keys evenly and by weight', () => {
    const lb = new RingHashLoadBalancer(lbParams(prioritySet([hostsNamed(4)])));
    let i = 0;
    const counts = countPicks(() => lb.chooseHost({ hashKey: keys[i++] }), keys.length);
    for (const n of counts.values()) assertNear(n, 2500, 400, 'keys per host');

    const weighted = [host('a', { weight: 1 }), host('b', { weight: 2 }), host('c', { weight: 3 })];
    const wlb = new RingHashLoadBalancer(
      lbParams(prioritySet([weighted]), { cluster: { ring_hash_lb_config: { minimum_ring_size: 6000 } } }),
    );
    i = 0;
    const wcounts = countPicks(() => wlb.chooseHost({ hashKey: keys[i++] }), keys.length);
    assertNear((wcounts.get('a') ?? 0) / keys.length, 1 / 6, 0.03, 'a share');
    assertNear((wcounts.get('b') ?? 0) / keys.length, 2 / 6, 0.03, 'b share');
    assertNear((wcounts.get('c') ?? 0) / keys.length, 3 / 6, 0.03, 'c share');
  });

  it('moves about 1/N of the keys when one of N hosts goes away', () => {
    const hosts = hostsNamed(10);
    const survivors = () => hosts.slice(0, 9).map((h) => host(h.address));
    const moves = (ringBefore: number, ringAfter: number) => {
      const before = new RingHashLoadBalancer(
        lbParams(prioritySet([hosts]), {
          cluster: { ring_hash_lb_config: { minimum_ring_size: ringBefore } },
        }),
      );
      const after = new RingHashLoadBalancer(
        lbParams(prioritySet([survivors()]), {
          cluster: { ring_hash_lb_config: { minimum_ring_size: ringAfter } },
        }),
      );
      let moved = 0;
      let fromOthers = 0;
      for (const hashKey of keys) {
        const a = before.chooseHost({ hashKey })!.address;
        if (a === after.chooseHost({ hashKey })!.address) continue;
        moved++;
        if (a !== hosts[9]!.address) fromOthers++;
      }
      return { moved: moved / keys.length, fromOthers };
    };
    // Same entries per host before and after (100): only the removed host's keys move.
    const fixed = moves(1000, 900);
    assertNear(fixed.moved, 0.1, 0.03, 'moved share, fixed entries per host');
    assert.equal(fixed.fromOthers, 0);
    // Default sizing gives each survivor ceil(1024/9) = 114 entries instead of 103; the new
    // entries take some keys too, so Envoy's ring moves between 1/N and 2/N.
    const resized = moves(1024, 1024);
    assert.ok(resized.moved >= 0.08 && resized.moved <= 0.2, `moved share ${resized.moved}`);
  });

  it('sizes the ring: the lightest host gets whole entries, within min and max', () => {
    // Weights 1:2 normalize to 1/3 and 2/3: the light host gets ceil(1024 / 3) = 342 entries.
    const hosts = [host('a', { weight: 1 }), host('b', { weight: 2 })];
    const weights = normalizeWeights(prioritySet([hosts]).hostSets[0]!, false, false);
    assert.equal(new Ring(weights, 1024, 8 * 1024 * 1024, false).size, 342 * 3);
    assert.equal(new Ring(weights, 1024, 1000, false).size, 1000);
    assert.equal(
      new Ring(
        normalizeWeights(prioritySet([hostsNamed(3)]).hostSets[0]!, false, false),
        1024,
        1 << 23,
        false,
      ).size,
      1026,
    );
  });

  it('without a hash key, picks at random; only healthy hosts are on the ring', () => {
    const hosts = hostsNamed(3);
    hosts[2]!.healthStatus = 'UNHEALTHY';
    const lb = new RingHashLoadBalancer(lbParams(prioritySet([hosts]), { panicThreshold: 0 }));
    const counts = countPicks(() => lb.chooseHost({}), 3000);
    assert.equal(counts.get(hosts[2]!.address), undefined);
    assert.equal(counts.size, 2);
  });

  it('validates ring sizes', () => {
    const errors: ConfigError[] = [];
    ringHashFactory.validate(
      clusterConfig({ name: 'x', ring_hash_lb_config: { minimum_ring_size: 4096, maximum_ring_size: 1024 } }),
      [],
      errors,
    );
    ringHashFactory.validate(
      clusterConfig({ name: 'x', ring_hash_lb_config: { maximum_ring_size: 9_000_000 } }),
      [],
      errors,
    );
    assert.deepEqual(
      errors.map((e) => e.message),
      ['ring hash: minimum_ring_size (4096) > maximum_ring_size (1024)', 'must be at most 8388608'],
    );
  });
});
