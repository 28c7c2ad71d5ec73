/**
 * Outlier detection end to end over real sockets: an ejected endpoint takes no traffic until
 * base_ejection_time passes, max_ejection_percent caps ejections, and a fully ejected cluster
 * still serves in panic mode. The schedule tests report outcomes through the host's monitor
 * (putHttpResponseCode, as the router does per upstream response) to control exact counts; the
 * 503 and refused-connection tests go through the router alone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Host } from '../../src/proxy/upstream/cluster-manager.js';
import {
  freePort,
  get,
  httpBootstrap,
  type RunningProxy,
  routes,
  startProxy,
  startUpstream,
  staticCluster,
  type Upstream,
  stat,
  waitFor,
} from '../support/proxy-harness.js';



/** Which upstream answered each of `n` sequential requests. */
async function spread(proxy: RunningProxy, n: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const res = await get(proxy.port(), '/');
    const key = `${res.status} ${res.headers['x-upstream'] ?? '-'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function hostOn(proxy: RunningProxy, cluster: string, port: number): Host {
  const found = proxy.server.clusterManager
    .get(cluster)
    ?.hosts()
    .find((h) => h.port === port);
  assert.ok(found, `no host on port ${port}`);
  return found;
}

/** Reports what the router sees for one upstream response (Envoy's router.cc onUpstreamHeaders). */
function reportResponses(host: Host, status: number, times: number): void {
  for (let i = 0; i < times; i++) host.outlier.putHttpResponseCode(status);
}

const route = routes({ match: { prefix: '/' }, route: { cluster: 'web' } });

describe('outlier detection', () => {
  const upstreams: Upstream[] = [];
  let good: Upstream;
  let other: Upstream;
  let bad: Upstream;
  before(async () => {
    good = await startUpstream('good');
    other = await startUpstream('other');
    bad = await startUpstream('bad', (_req, res) => {
      res.writeHead(503, { 'x-upstream': 'bad' });
      res.end('unavailable');
    });
    upstreams.push(good, other, bad);
  });
  after(async () => {
    for (const u of upstreams) await u.close();
  });

  it('keeps an ejected endpoint out of rotation for base_ejection_time, then returns it', async () => {
    const proxy = await startProxy(
      httpBootstrap(route, [
        staticCluster('web', [good.port, bad.port], {
          outlier_detection: {
            consecutive_5xx: 3,
            interval: '0.1s',
            base_ejection_time: '0.4s',
            max_ejection_percent: 100,
          },
        }),
      ]),
    );
    try {
      assert.equal((await spread(proxy, 4)).get('503 bad'), 2);
      reportResponses(hostOn(proxy, 'web', bad.port), 503, 3);
      assert.equal(await stat(proxy, 'cluster.web.outlier_detection.ejections_active'), 1);
      assert.equal(await stat(proxy, 'cluster.web.outlier_detection.ejections_enforced_consecutive_5xx'), 1);
      assert.equal(await stat(proxy, 'cluster.web.outlier_detection.ejections_detected_consecutive_5xx'), 1);
      assert.equal(await stat(proxy, 'cluster.web.membership_healthy'), 1);
      const startedAt = Date.now();
      assert.deepEqual([...(await spread(proxy, 6))], [['200 good', 6]]);
      await waitFor('the ejected endpoint to return', async () => (await stat(proxy, 'cluster.web.outlier_detection.ejections_active')) === 0);
      assert.ok(Date.now() - startedAt >= 250, 'returned before base_ejection_time');
      assert.equal((await spread(proxy, 4)).get('503 bad'), 2);
    } finally {
      await proxy.close();
    }
  });

  it('ejects no more than max_ejection_percent of the hosts', async () => {
    const proxy = await startProxy(
      httpBootstrap(route, [
        staticCluster('web', [good.port, other.port, bad.port], {
          outlier_detection: { consecutive_5xx: 1, base_ejection_time: '60s', max_ejection_percent: 50 },
        }),
      ]),
    );
    try {
      // Of 3 hosts, 50 % allows one ejection: (0 + 1) / 3 ≤ 50 % < (1 + 1) / 3.
      reportResponses(hostOn(proxy, 'web', bad.port), 503, 1);
      reportResponses(hostOn(proxy, 'web', good.port), 500, 1);
      reportResponses(hostOn(proxy, 'web', other.port), 500, 1);
      assert.equal(await stat(proxy, 'cluster.web.outlier_detection.ejections_active'), 1);
      assert.equal(await stat(proxy, 'cluster.web.outlier_detection.ejections_overflow'), 2);
      const counts = await spread(proxy, 6);
      assert.equal(counts.get('503 bad'), undefined);
      assert.equal((counts.get('200 good') ?? 0) + (counts.get('200 other') ?? 0), 6);
    } finally {
      await proxy.close();
    }
  });

  it('still serves a fully ejected cluster, in panic mode', async () => {
    const proxy = await startProxy(
      httpBootstrap(route, [
        staticCluster('web', [good.port, other.port], {
          outlier_detection: { consecutive_5xx: 1, base_ejection_time: '60s', max_ejection_percent: 100 },
        }),
      ]),
    );
    try {
      reportResponses(hostOn(proxy, 'web', good.port), 500, 1);
      reportResponses(hostOn(proxy, 'web', other.port), 500, 1);
      assert.equal(await stat(proxy, 'cluster.web.outlier_detection.ejections_active'), 2);
      assert.equal(await stat(proxy, 'cluster.web.membership_healthy'), 0);
      const counts = await spread(proxy, 4);
      assert.deepEqual(
        [...counts].sort(),
        [
          ['200 good', 2],
          ['200 other', 2],
        ],
      );
      assert.equal(await stat(proxy, 'cluster.web.lb_healthy_panic'), 4);
    } finally {
      await proxy.close();
    }
  });

  it('ejects an endpoint answering 503 after consecutive_5xx responses through the router', async () => {
    const proxy = await startProxy(
      httpBootstrap(route, [
        staticCluster('web', [good.port, bad.port], {
          outlier_detection: { consecutive_5xx: 3, interval: '0.1s', base_ejection_time: '0.3s', max_ejection_percent: 100 },
        }),
      ]),
    );
    try {
      assert.equal((await spread(proxy, 6)).get('503 bad'), 3);
      assert.equal(await stat(proxy, 'cluster.web.outlier_detection.ejections_enforced_consecutive_5xx'), 1);
      assert.deepEqual([...(await spread(proxy, 4))], [['200 good', 4]]);
      await waitFor('the ejected endpoint to return', async () => (await stat(proxy, 'cluster.web.outlier_detection.ejections_active')) === 0);
      assert.equal((await spread(proxy, 2)).get('503 bad'), 1);
    } finally {
      await proxy.close();
    }
  });

  it('ejects an endpoint that refuses connections after consecutive_local_origin_failure', async () => {
    const closed = await freePort();
    const proxy = await startProxy(
      httpBootstrap(route, [
        staticCluster('web', [good.port, closed], {
          outlier_detection: {
            split_external_local_origin_errors: true,
            consecutive_local_origin_failure: 2,
            base_ejection_time: '60s',
            max_ejection_percent: 100,
          },
        }),
      ]),
    );
    try {
      assert.equal((await spread(proxy, 4)).get('503 -'), 2);
      assert.equal(await stat(proxy, 'cluster.web.outlier_detection.ejections_enforced_consecutive_local_origin_failure'), 1);
      assert.deepEqual([...(await spread(proxy, 4))], [['200 good', 4]]);
    } finally {
      await proxy.close();
    }
  });
});
