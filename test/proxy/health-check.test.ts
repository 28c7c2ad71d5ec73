/**
 * Active health checking end to end over real sockets: HTTP checks take a host answering 500
 * out of rotation and bring it back once it answers 200 again, hosts start unhealthy until their
 * first check and the proxy waits for that first round, TCP checks fail a closed port or a wrong
 * answer, and checkers stop (no more checks, no open sockets) when their cluster goes away.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseBootstrap } from '../../src/proxy/bootstrap/load-bootstrap.js';
import { ProxyServer } from '../../src/proxy/server.js';
import type { Cluster__Output } from '../../src/xds/generated/envoy/config/cluster/v3/Cluster.js';
import { decodeProtoJson } from '../../src/xds/proto-json.js';
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



const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Upstreams whose answer to /healthz can be switched; other paths answer 200 naming the upstream. */
interface Checked {
  upstream: Upstream;
  health: { status: number; headers: Record<string, string> };
  hcRequests: () => number;
}

async function checkedUpstream(name: string, status = 200): Promise<Checked> {
  const health = { status, headers: {} as Record<string, string> };
  const upstream = await startUpstream(name, (req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(health.status, health.headers);
      res.end('ok');
      return;
    }
    res.writeHead(200, { 'x-upstream': name });
    res.end(name);
  });
  return {
    upstream,
    health,
    hcRequests: () => upstream.requests.filter((r) => r.headers['user-agent'] === 'Envoy/HC').length,
  };
}

async function spread(proxy: RunningProxy, n: number): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const res = await get(proxy.port(), '/');
    seen.add(`${res.status} ${res.headers['x-upstream'] ?? '-'}`);
  }
  return [...seen].sort();
}

const route = routes({ match: { prefix: '/' }, route: { cluster: 'web' } });

function httpCheck(extra: object = {}): object {
  return {
    timeout: '1s',
    interval: '0.1s',
    no_traffic_interval: '0.1s',
    unhealthy_threshold: 2,
    healthy_threshold: 2,
    http_health_check: { path: '/healthz' },
    ...extra,
  };
}

describe('active health checking', () => {
  const opened: Upstream[] = [];
  let a: Checked;
  let b: Checked;
  let c: Checked;
  before(async () => {
    a = await checkedUpstream('a');
    b = await checkedUpstream('b');
    c = await checkedUpstream('c');
    opened.push(a.upstream, b.upstream, c.upstream);
  });
  after(async () => {
    for (const u of opened) await u.close();
  });

  it('takes a host answering 500 out of rotation and restores it once it answers 200', async () => {
    b.health.status = 200;
    const proxy = await startProxy(
      httpBootstrap(route, [staticCluster('web', [a.upstream.port, b.upstream.port, c.upstream.port], { health_checks: [httpCheck()] })]),
    );
    try {
      assert.equal(await stat(proxy, 'cluster.web.health_check.healthy'), 3);
      assert.deepEqual(await spread(proxy, 6), ['200 a', '200 b', '200 c']);
      const check = b.upstream.requests.find((r) => r.headers['user-agent'] === 'Envoy/HC')!;
      assert.equal(check.method, 'GET');
      assert.equal(check.headers['host'], 'web');

      b.health.status = 500; // not an expected status: fails at once, whatever unhealthy_threshold
      await waitFor('b to fail its check', async () => (await stat(proxy, 'cluster.web.health_check.healthy')) === 2);
      assert.deepEqual(await spread(proxy, 6), ['200 a', '200 c']);
      assert.equal(await stat(proxy, 'cluster.web.membership_healthy'), 2);
      assert.ok((await stat(proxy, 'cluster.web.health_check.failure')) >= 1);
      assert.equal(await stat(proxy, 'cluster.web.health_check.network_failure'), 0);

      b.health.status = 200; // healthy_threshold 2: back after two passing checks
      await waitFor('b to pass again', async () => (await stat(proxy, 'cluster.web.health_check.healthy')) === 3);
      assert.deepEqual(await spread(proxy, 6), ['200 a', '200 b', '200 c']);
      const attempts = await stat(proxy, 'cluster.web.health_check.attempt');
      const results =
        (await stat(proxy, 'cluster.web.health_check.success')) + (await stat(proxy, 'cluster.web.health_check.failure'));
      assert.ok(attempts >= results && attempts - results <= 3, `${attempts} attempts, ${results} results`);
    } finally {
      await proxy.close();
    }
  });

  it('starts hosts unhealthy and waits for the first round before serving', async () => {
    b.health.status = 503;
    const proxy = await startProxy(
      httpBootstrap(route, [
        staticCluster('web', [a.upstream.port, b.upstream.port, c.upstream.port], {
          health_checks: [httpCheck({ interval: '30s', no_traffic_interval: '30s' })],
        }),
      ]),
    );
    try {
      // startProxy resolved only after every host's first check; b never took traffic.
      assert.equal(await stat(proxy, 'cluster.web.health_check.attempt'), 3);
      assert.equal(await stat(proxy, 'cluster.web.health_check.healthy'), 2);
      assert.deepEqual(await spread(proxy, 6), ['200 a', '200 c']);
    } finally {
      await proxy.close();
      b.health.status = 200;
    }
  });

  it('counts retriable statuses toward unhealthy_threshold and marks x-envoy-degraded hosts degraded', async () => {
    b.health.status = 200;
    const proxy = await startProxy(
      httpBootstrap(route, [
        staticCluster('web', [a.upstream.port, b.upstream.port], {
          health_checks: [
            httpCheck({
              unhealthy_threshold: 3,
              http_health_check: {
                path: '/healthz',
                host: 'health.internal',
                request_headers_to_add: [{ header: { key: 'x-check', value: 'skein' } }],
                expected_statuses: [{ start: 200, end: 300 }],
                retriable_statuses: [{ start: 429, end: 430 }],
              },
            }),
          ],
        }),
      ]),
    );
    try {
      const check = b.upstream.requests.findLast((r) => r.headers['user-agent'] === 'Envoy/HC')!;
      assert.equal(check.headers['host'], 'health.internal');
      assert.equal(check.headers['x-check'], 'skein');

      b.health.status = 429;
      const failuresBefore = await stat(proxy, 'cluster.web.health_check.failure');
      await waitFor('two retriable failures', async () => (await stat(proxy, 'cluster.web.health_check.failure')) >= failuresBefore + 2);
      assert.equal(await stat(proxy, 'cluster.web.health_check.healthy'), 2, 'still healthy below unhealthy_threshold');
      await waitFor('the third retriable failure', async () => (await stat(proxy, 'cluster.web.health_check.healthy')) === 1);

      b.health.status = 204;
      b.health.headers = { 'x-envoy-degraded': '1' };
      await waitFor('b to come back degraded after healthy_threshold passes', async () =>
        (await stat(proxy, 'cluster.web.health_check.degraded')) === 1 &&
        (await stat(proxy, 'cluster.web.health_check.healthy')) === 2);
      assert.equal(await stat(proxy, 'cluster.web.membership_degraded'), 1);
      assert.equal(await stat(proxy, 'cluster.web.membership_healthy'), 1);
    } finally {
      await proxy.close();
      b.health.status = 200;
      b.health.headers = {};
    }
  });

  it('fails a TCP check on a closed port and on a wrong answer; passes on the expected one', async () => {
    const closed = await freePort();
    const sockets = new Set<Socket>();
    const echo = (answer: string) => {
      const server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('data', (data) => {
          if (data.toString() === 'PING') socket.write(answer);
        });
      });
      return new Promise<{ port: number; close: () => Promise<void> }>((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve({
            port: (server.address() as AddressInfo).port,
            close: () => new Promise((done) => server.close(() => done())),
          }),
        ),
      );
    };
    const right = await echo('PONG');
    const wrong = await echo('NOPE');
    const proxy = await startProxy(
      httpBootstrap(route, [
        staticCluster('connect', [a.upstream.port, closed], {
          health_checks: [{ timeout: '1s', interval: '0.1s', no_traffic_interval: '0.1s', unhealthy_threshold: 1, healthy_threshold: 1, tcp_health_check: {} }],
        }),
        staticCluster('payload', [right.port, wrong.port], {
          health_checks: [
            {
              timeout: '0.2s',
              interval: '0.1s',
              no_traffic_interval: '0.1s',
              unhealthy_threshold: 1,
              healthy_threshold: 1,
              tcp_health_check: { send: { text: Buffer.from('PING').toString('hex') }, receive: [{ text: Buffer.from('PONG').toString('hex') }] },
            },
          ],
        }),
      ]),
    );
    try {
      assert.equal(await stat(proxy, 'cluster.connect.health_check.healthy'), 1);
      assert.ok((await stat(proxy, 'cluster.connect.health_check.network_failure')) >= 1);
      assert.equal(await stat(proxy, 'cluster.payload.health_check.healthy'), 1);
      assert.ok((await stat(proxy, 'cluster.payload.health_check.network_failure')) >= 1, 'the wrong answer times out');
      const healthy = proxy.server.clusterManager.get('payload')!.hosts().filter((h) => h.healthy);
      assert.deepEqual(healthy.map((h) => h.port), [right.port]);
      await waitFor('more passing checks on the kept connection', async () => (await stat(proxy, 'cluster.payload.health_check.success')) >= 3);
    } finally {
      await proxy.close();
      await waitFor('check connections to close', () => sockets.size === 0);
      await right.close();
      await wrong.close();
    }
  });

  it('stops checking and closes its connections when the cluster is replaced or removed', async () => {
    const open = new Set<Socket>();
    let checks = 0;
    const server = createHttpServer((_req, res) => {
      checks++;
      res.end('ok');
    });
    server.on('connection', (socket: Socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const cluster = (interval: string) => staticCluster('web', [port], { health_checks: [httpCheck({ interval, no_traffic_interval: interval })] });
    const proxy = await startProxy(httpBootstrap(route, [cluster('0.05s')]));
    const cm = proxy.server.clusterManager;
    try {
      await waitFor('a few checks', () => checks >= 3);
      assert.equal(open.size, 1, 'one kept-alive check connection');

      const decoded = decodeProtoJson<Cluster__Output>('envoy.config.cluster.v3.Cluster', cluster('0.06s'));
      assert.ok(decoded.ok);
      const replaced = cm.addOrUpdateCluster(decoded.value);
      assert.deepEqual(replaced, { ok: true });
      await waitFor('the replacement to take over', () => cm.get('web')?.config.health_checks[0]?.interval?.nanos === 60_000_000);
      await waitFor('the old checker to close its connection', () => open.size === 1);

      assert.equal(cm.removeCluster('web'), true);
      await waitFor('every check connection to close', () => open.size === 0);
      const after = checks;
      await sleep(250);
      assert.equal(checks, after, 'no check after removal');
    } finally {
      await proxy.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('rejects HTTP/2 health checks, naming the field', async () => {
    const parsed = parseBootstrap(
      httpBootstrap(route, [
        staticCluster('web', [a.upstream.port], {
          health_checks: [httpCheck({ http_health_check: { path: '/healthz', codec_client_type: 'HTTP2' } })],
        }),
      ]),
    );
    assert.ok(parsed.ok);
    const server = new ProxyServer({ adminPort: 0, log: () => {} });
    await assert.rejects(
      server.start(parsed.bootstrap),
      /health_checks\[0\]\.http_health_check\.codec_client_type: codec_client_type HTTP2 is not supported/,
    );
    await server.shutdown(0);
  });
});
