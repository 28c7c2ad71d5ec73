import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatsStore } from '../stats/stats.js';
import { clusterConfig } from './fixtures.test.util.js';
import { createResourceManagers } from './resource-manager.js';

describe('circuit breakers', () => {
  it("default to Envoy's 1024 / 1024 / 1024 / 3", () => {
    const store = new StatsStore();
    const { default: d, high } = createResourceManagers(store.root().scope('cluster.c.'), []);
    for (const manager of [d, high]) {
      assert.deepEqual(
        [manager.connections.max, manager.pendingRequests.max, manager.requests.max, manager.retries.max],
        [1024, 1024, 1024, 3],
      );
    }
  });

  it('take the first thresholds per priority and publish open / remaining gauges', () => {
    const store = new StatsStore();
    const config = clusterConfig({
      name: 'c',
      circuit_breakers: {
        thresholds: [
          { max_connections: 2, track_remaining: true },
          { max_connections: 99 },
          { priority: 'HIGH', max_retries: 10 },
        ],
      },
    });
    const managers = createResourceManagers(
      store.root().scope('cluster.c.'),
      config.circuit_breakers!.thresholds,
    );
    const cx = managers.default.connections;
    assert.equal(cx.max, 2);
    assert.equal(managers.high.retries.max, 10);
    const open = store.stats.get('cluster.c.circuit_breakers.default.cx_open')!;
    const remaining = store.stats.get('cluster.c.circuit_breakers.default.remaining_cx')!;
    assert.equal(store.stats.has('cluster.c.circuit_breakers.high.remaining_cx'), false);
    cx.inc();
    assert.deepEqual(
      [cx.canCreate(), 'value' in open && open.value, 'value' in remaining && remaining.value],
      [true, 0, 1],
    );
    cx.inc();
    assert.deepEqual(
      [cx.canCreate(), 'value' in open && open.value, 'value' in remaining && remaining.value],
      [false, 1, 0],
    );
    cx.dec();
    assert.equal(cx.canCreate(), true);
  });
});
