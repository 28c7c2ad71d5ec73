import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashString } from '../../lib/hash.js';
import type { ConfigError } from '../config/config-error.js';
import { assertNear, clusterConfig, countPicks, host, lbParams, prioritySet } from './fixtures.test.util.js';
import { isPrime, MaglevLoadBalancer, maglevFactory } from './lb-maglev.js';

const keys = Array.from({ length: 10_000 }, (_, i) => hashString(`session-${i}`));

function hostsNamed(n: number) {
  return Array.from({ length: n }, (_, i) => host(`10.1.0.${i + 1}`));
}

describe('MAGLEV', () => {
  it('maps the same key to the same host regardless of host order', () => {
    const hosts = hostsNamed(6);
    const lb = new MaglevLoadBalancer(lbParams(prioritySet([hosts])));
    const reversed = new MaglevLoadBalancer(lbParams(prioritySet([[...hostsNamed(6)].reverse()])));
    for (const hashKey of keys) {
      const first = lb.chooseHost({ hashKey })!.address;
      assert.equal(lb.chooseHost({ hashKey })!.address, first);
      assert.equal(reversed.chooseHost({ hashKey })!.address, first);
    }
  });

  it('fills the table evenly, or by weight', () => {
    const lb = new MaglevLoadBalancer(lbParams(prioritySet([hostsNamed(5)])));
    let i = 0;
    for (const n of countPicks(() => lb.chooseHost({ hashKey: keys[i++] }), keys.length).values()) {
      assertNear(n, 2000, 250, 'keys per host');
    }
    const weighted = [host('a', { weight: 1 }), host('b', { weight: 2 }), host('c', { weight: 3 })];
    const wlb = new MaglevLoadBalancer(lbParams(prioritySet([weighted])));
    // Slots map 1:1 to hash values mod M, so the table's shares show over consecutive values.
    const counts = countPicks(() => wlb.chooseHost({ hashKey: i++ }), 65537);
    assertNear((counts.get('a') ?? 0) / 65537, 1 / 6, 0.01, 'a share');
    assertNear((counts.get('b') ?? 0) / 65537, 2 / 6, 0.01, 'b share');
    assertNear((counts.get('c') ?? 0) / 65537, 3 / 6, 0.01, 'c share');
  });

  it('moves about 1/N of the keys when one of N hosts goes away', () => {
    const hosts = hostsNamed(10);
    const before = new MaglevLoadBalancer(lbParams(prioritySet([hosts])));
    const after = new MaglevLoadBalancer(lbParams(prioritySet([hostsNamed(9)])));
    let moved = 0;
    for (const hashKey of keys) {
      if (before.chooseHost({ hashKey })!.address !== after.chooseHost({ hashKey })!.address) moved++;
    }
    // Maglev trades a little extra disruption for balance; the paper reports a few percent extra.
    assertNear(moved / keys.length, 0.1, 0.05, 'moved share');
  });

  it('uses a configured prime table size and rejects a composite one', () => {
    const lb = new MaglevLoadBalancer(
      lbParams(prioritySet([hostsNamed(3)]), { cluster: { maglev_lb_config: { table_size: 7 } } }),
    );
    const seen = new Set<string>();
    for (let h = 0; h < 7; h++) seen.add(lb.chooseHost({ hashKey: h })!.address);
    assert.equal(seen.size, 3);
    assert.equal(lb.chooseHost({ hashKey: 7 })!.address, lb.chooseHost({ hashKey: 0 })!.address);

    const errors: ConfigError[] = [];
    maglevFactory.validate(
      clusterConfig({ name: 'x', maglev_lb_config: { table_size: 65536 } }),
      ['c'],
      errors,
    );
    assert.deepEqual(errors, [
      {
        path: ['c', 'maglev_lb_config', 'table_size'],
        message: 'The table size of maglev must be prime number',
      },
    ]);
    assert.ok(isPrime(65537) && isPrime(5_000_011) && !isPrime(1) && !isPrime(9));
  });
});
