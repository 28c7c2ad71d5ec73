import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigError } from '../config/config-error.js';
import {
  assertNear,
  clusterConfig,
  countPicks,
  host,
  lbParams,
  prioritySet,
  seededRandom,
} from './fixtures.test.util.js';
import { LeastRequestLoadBalancer, leastRequestFactory } from './lb-least-request.js';

describe('LEAST_REQUEST', () => {
  it('power of two choices: never picks the busiest of two equal hosts', () => {
    const hosts = [host('idle'), host('busy')];
    hosts[1]!.activeRequests = 5;
    const lb = new LeastRequestLoadBalancer(lbParams(prioritySet([hosts])));
    const counts = countPicks(() => lb.chooseHost(undefined), 10_000);
    // Both samples land on 'busy' a quarter of the time; otherwise 'idle' wins.
    assertNear(counts.get('busy') ?? 0, 2500, 250, 'busy picks');
  });

  it('with more choices, avoids loaded hosts more strongly', () => {
    const hosts = Array.from({ length: 4 }, (_, i) => host(`h${i}`));
    for (const [i, h] of hosts.entries()) h.activeRequests = i;
    const lb = new LeastRequestLoadBalancer(
      lbParams(prioritySet([hosts]), { cluster: { least_request_lb_config: { choice_count: 4 } } }),
    );
    const counts = countPicks(() => lb.chooseHost(undefined), 10_000);
    // h0 wins unless all 4 samples miss it: 1 - (3/4)^4 ≈ 68%.
    assertNear((counts.get('h0') ?? 0) / 10_000, 1 - 0.75 ** 4, 0.02, 'h0 share');
  });

  it('spreads load evenly as requests complete', () => {
    const hosts = Array.from({ length: 5 }, (_, i) => host(`h${i}`));
    const lb = new LeastRequestLoadBalancer(lbParams(prioritySet([hosts]), { random: seededRandom(3) }));
    for (let i = 0; i < 1000; i++) lb.chooseHost(undefined)!.activeRequests++;
    const loads = hosts.map((h) => h.activeRequests);
    assert.ok(Math.max(...loads) - Math.min(...loads) <= 3, `loads ${loads}`);
  });

  it('with unequal weights, uses weight / (active + 1) ^ bias', () => {
    const hosts = [host('a', { weight: 1 }), host('b', { weight: 2 }), host('c', { weight: 3 })];
    const lb = new LeastRequestLoadBalancer(lbParams(prioritySet([hosts])));
    const counts = countPicks(() => lb.chooseHost(undefined), 6000);
    assert.deepEqual(Object.fromEntries(counts), { a: 1000, b: 2000, c: 3000 });
    // c is loaded: its effective weight 3/(2+1)^1 = 1 matches a's, b's is 2.
    hosts[2]!.activeRequests = 2;
    const lb2 = new LeastRequestLoadBalancer(lbParams(prioritySet([hosts])));
    const loaded = countPicks(() => lb2.chooseHost(undefined), 4000);
    assertNear(loaded.get('c') ?? 0, 1000, 20, 'c picks');
    assertNear(loaded.get('b') ?? 0, 2000, 20, 'b picks');
    // bias 0 ignores active requests.
    const lb3 = new LeastRequestLoadBalancer(
      lbParams(prioritySet([hosts]), {
        cluster: { least_request_lb_config: { active_request_bias: { default_value: 0, runtime_key: 'k' } } },
      }),
    );
    assertNear(countPicks(() => lb3.chooseHost(undefined), 6000).get('c') ?? 0, 3000, 20, 'c picks, bias 0');
  });

  it('rejects choice_count below 2 and unsupported fields', () => {
    const errors: ConfigError[] = [];
    leastRequestFactory.validate(
      clusterConfig({
        name: 'x',
        least_request_lb_config: { choice_count: 1, slow_start_config: { slow_start_window: '1s' } },
      }),
      ['c'],
      errors,
    );
    assert.deepEqual(errors.map((e) => e.path.join('.')).sort(), [
      'c.least_request_lb_config.choice_count',
      'c.least_request_lb_config.slow_start_config',
    ]);
  });
});
