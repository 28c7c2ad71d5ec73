/**
 * Load balancing and cluster types through the proxy over real sockets: each LB policy's
 * distribution (within statistical tolerance), hash affinity, priority failover, STRICT_DNS
 * and ORIGINAL_DST clusters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  get,
  httpBootstrap,
  type RunningProxy,
  routes,
  startProxy,
  startUpstream,
  type Upstream,
} from '../support/proxy-harness.js';

function endpoint(port: number, extra: Record<string, unknown> = {}): unknown {
  return { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } }, ...extra };
}

function cluster(
  name: string,
  lbEndpoints: unknown[],
  extra: Record<string, unknown> = {},
  priority = 0,
): unknown {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: name, endpoints: [{ priority, lb_endpoints: lbEndpoints }] },
    ...extra,
  };
}

/** Sends `count` requests (20 at a time) and counts which upstream answered. */
async function spread(
  port: number,
  path: string,
  count: number,
  headers: (i: number) => Record<string, string> = () => ({}),
) {
  const counts = new Map<string, number>();
  for (let i = 0; i < count; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, count - i) }, (_, j) => get(port, path, headers(i + j))),
    );
    for (const response of batch) {
      assert.equal(response.status, 200, response.body);
      const name = response.headers['x-upstream']!;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  return counts;
}

/** |observed − expected| within 4 standard deviations of a binomial count. */
function assertShare(counts: Map<string, number>, name: string, share: number, total: number): void {
  const observed = counts.get(name) ?? 0;
  const expected = share * total;
  const sigma = Math.sqrt(total * share * (1 - share));
  assert.ok(
    Math.abs(observed - expected) <= 4 * sigma + 1,
    `${name}: ${observed} of ${total}, expected ≈${expected.toFixed(0)}`,
  );
}

describe('load balancing through the proxy', () => {
  let proxy: RunningProxy;
  let a: Upstream;
  let b: Upstream;
  let c: Upstream;

  before(async () => {
    a = await startUpstream('a');
    b = await startUpstream('b');
    c = await startUpstream('c');
    const weighted = [
      endpoint(a.port, { load_balancing_weight: 1 }),
      endpoint(b.port, { load_balancing_weight: 2 }),
      endpoint(c.port, { load_balancing_weight: 3 }),
    ];
    const even = [endpoint(a.port), endpoint(b.port), endpoint(c.port)];
    const byHeader = { hash_policy: [{ header: { header_name: 'x-user' } }] };
    const route = (prefix: string, clusterName: string, extra: Record<string, unknown> = {}) => ({
      match: { prefix },
      route: { cluster: clusterName, ...extra },
    });
    proxy = await startProxy(
      httpBootstrap(
        routes(
          route('/rr', 'rr'),
          route('/lr', 'lr'),
          route('/random', 'random'),
          route('/ring', 'ring', byHeader),
          route('/maglev', 'maglev', byHeader),
          route('/priority', 'priority'),
          route('/dns', 'dns'),
          route('/odst', 'odst'),
        ),
        [
          cluster('rr', weighted),
          cluster('lr', even, { lb_policy: 'LEAST_REQUEST' }),
          cluster('random', even, { lb_policy: 'RANDOM' }),
          cluster('ring', even, { lb_policy: 'RING_HASH' }),
          cluster('maglev', even, { lb_policy: 'MAGLEV' }),
          {
            name: 'priority',
            type: 'STATIC',
            connect_timeout: '1s',
            load_assignment: {
              cluster_name: 'priority',
              endpoints: [
                {
                  priority: 0,
                  lb_endpoints: [
                    endpoint(a.port, { health_status: 'UNHEALTHY' }),
                    endpoint(b.port, { health_status: 'UNHEALTHY' }),
                  ],
                },
                { priority: 1, lb_endpoints: [endpoint(c.port)] },
              ],
            },
          },
          {
            name: 'dns',
            type: 'STRICT_DNS',
            connect_timeout: '1s',
            dns_lookup_family: 'V4_ONLY',
            load_assignment: {
              cluster_name: 'dns',
              endpoints: [
                {
                  lb_endpoints: [
                    {
                      endpoint: { address: { socket_address: { address: 'localhost', port_value: b.port } } },
                    },
                  ],
                },
              ],
            },
          },
          {
            name: 'odst',
            type: 'ORIGINAL_DST',
            lb_policy: 'CLUSTER_PROVIDED',
            connect_timeout: '1s',
            original_dst_lb_config: { use_http_header: true },
          },
        ],
      ),
    );
  });

  after(async () => {
    await proxy.close();
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('ROUND_ROBIN honours endpoint weights 1:2:3', async () => {
    const counts = await spread(proxy.port(), '/rr', 600);
    // Weighted round robin is deterministic (EDF): shares are exact up to the rounding of a cycle.
    assert.ok(Math.abs((counts.get('a') ?? 0) - 100) <= 3, JSON.stringify([...counts]));
    assert.ok(Math.abs((counts.get('b') ?? 0) - 200) <= 3, JSON.stringify([...counts]));
    assert.ok(Math.abs((counts.get('c') ?? 0) - 300) <= 3, JSON.stringify([...counts]));
  });

  it('LEAST_REQUEST and RANDOM spread evenly', async () => {
    for (const path of ['/lr', '/random']) {
      const counts = await spread(proxy.port(), path, 600);
      for (const name of ['a', 'b', 'c']) assertShare(counts, name, 1 / 3, 600);
    }
  });

  it('RING_HASH and MAGLEV keep a key on one host and spread keys over all hosts', async () => {
    for (const path of ['/ring', '/maglev']) {
      const sticky = await spread(proxy.port(), path, 40, () => ({ 'x-user': 'jason' }));
      assert.equal(sticky.size, 1, `${path}: one user, one host (${JSON.stringify([...sticky])})`);
      const many = await spread(proxy.port(), path, 300, (i) => ({ 'x-user': `user-${i}` }));
      assert.equal(many.size, 3, `${path}: many users reach every host`);
      for (const name of ['a', 'b', 'c'])
        assert.ok((many.get(name) ?? 0) > 40, `${path}: ${JSON.stringify([...many])}`);
    }
  });

  it('fails over to the next priority when the first has no healthy host', async () => {
    const counts = await spread(proxy.port(), '/priority', 40);
    assert.deepEqual([...counts], [['c', 40]]);
  });

  it('resolves STRICT_DNS endpoints and routes ORIGINAL_DST by header', async () => {
    const dns = await spread(proxy.port(), '/dns', 10);
    assert.deepEqual([...dns], [['b', 10]]);
    const odst = await spread(proxy.port(), '/odst', 10, () => ({
      'x-envoy-original-dst-host': `127.0.0.1:${c.port}`,
    }));
    assert.deepEqual([...odst], [['c', 10]]);
  });
});
