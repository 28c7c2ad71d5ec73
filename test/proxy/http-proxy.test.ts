/**
 * The HTTP/1.1 proxy end to end over real sockets: routing, rewrites, redirects, direct
 * responses, header handling, re-framing, keep-alive reuse, and Envoy's local replies and
 * response flags when upstreams are missing, dead, slow or broken.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  admin,
  freePort,
  type EchoRequest,
  get,
  httpBootstrap,
  parseRawResponse,
  type RunningProxy,
  rawExchange,
  startProxy,
  startUpstream,
  staticCluster,
  type Upstream,
} from '../support/proxy-harness.js';

/** Sockets of '/head-first' requests, waiting for the test to let their body go. */
const heldBodies: import('node:net').Socket[] = [];

/** A TCP server that misbehaves on purpose, by request path. */
async function startBrokenUpstream(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (data) => {
      const path = data.toString('latin1').split(' ')[1] ?? '';
      if (path.includes('/close-before-headers')) socket.destroy();
      else if (path.includes('/cl-and-te')) {
        socket.end('HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n');
      } else if (path.includes('/bad-status')) socket.end('HTTP/1.1 2000 OK\r\n\r\n');
      else if (path.includes('/close-mid-body')) {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly-part');
        setTimeout(() => socket.destroy(), 20);
      } else if (path.includes('/slow')) {
        setTimeout(() => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nslow'), 1500);
      } else if (path.includes('/head-first')) {
        socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
        heldBodies.push(socket);
      } else if (path.includes('/close-delimited')) {
        socket.end('HTTP/1.1 200 OK\r\n\r\nuntil-close');
      } else socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('HTTP proxy', () => {
  let proxy: RunningProxy;
  let web: Upstream;
  let api: Upstream;
  let broken: { port: number; close(): Promise<void> };

  before(async () => {
    web = await startUpstream('web');
    api = await startUpstream('api');
    broken = await startBrokenUpstream();
    const dead = await freePort(); // nothing listens there
    const routeConfig = {
      name: 'local',
      response_headers_to_add: [{ header: { key: 'x-route-config', value: 'global' } }],
      virtual_hosts: [
        {
          name: 'api',
          domains: ['api.example.com', 'api.example.com:8080'],
          routes: [
            {
              match: { prefix: '/v1/', headers: [{ name: 'x-canary', string_match: { exact: 'yes' } }] },
              route: { cluster: 'web' },
            },
            { match: { prefix: '/v1/' }, route: { cluster: 'api', prefix_rewrite: '/internal/' } },
          ],
        },
        {
          name: 'catchall',
          domains: ['*'],
          request_headers_to_add: [{ header: { key: 'x-vhost', value: 'catchall' } }],
          routes: [
            {
              match: { path: '/direct' },
              direct_response: { status: 418, body: { inline_string: 'short and stout' } },
            },
            {
              match: { prefix: '/old/' },
              redirect: { prefix_rewrite: '/new/', response_code: 'PERMANENT_REDIRECT' },
            },
            { match: { prefix: '/https' }, redirect: { https_redirect: true } },
            { match: { prefix: '/missing-cluster' }, route: { cluster: 'does-not-exist' } },
            { match: { prefix: '/by-header' }, route: { cluster_header: 'x-cluster' } },
            {
              match: { prefix: '/weighted' },
              route: {
                weighted_clusters: {
                  clusters: [
                    {
                      name: 'web',
                      weight: 1,
                      request_headers_to_add: [{ header: { key: 'x-picked', value: 'web' } }],
                    },
                    {
                      name: 'api',
                      weight: 1,
                      request_headers_to_add: [{ header: { key: 'x-picked', value: 'api' } }],
                    },
                  ],
                },
              },
            },
            { match: { prefix: '/no-endpoints' }, route: { cluster: 'empty' } },
            { match: { prefix: '/dead' }, route: { cluster: 'dead' } },
            { match: { prefix: '/broken/slow-idle' }, route: { cluster: 'broken', idle_timeout: '0.3s' } },
            { match: { prefix: '/broken/slow' }, route: { cluster: 'broken', timeout: '0.3s' } },
            { match: { prefix: '/broken' }, route: { cluster: 'broken' } },
            {
              match: { prefix: '/rewrite-host' },
              route: { cluster: 'web', host_rewrite_literal: 'rewritten.internal' },
            },
            {
              match: { prefix: '/headers' },
              route: { cluster: 'web' },
              request_headers_to_add: [
                { header: { key: 'x-added', value: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%' } },
              ],
              request_headers_to_remove: ['x-secret'],
              response_headers_to_add: [{ header: { key: 'x-route', value: 'headers' } }],
            },
            { match: { prefix: '/' }, route: { cluster: 'web' } },
          ],
        },
      ],
    };
    proxy = await startProxy(
      httpBootstrap(routeConfig, [
        staticCluster('web', [web.port]),
        staticCluster('api', [api.port]),
        staticCluster('empty', []),
        staticCluster('dead', [dead]),
        staticCluster('broken', [broken.port]),
      ]),
    );
  });

  after(async () => {
    await proxy.close();
    await web.close();
    await api.close();
    await broken.close();
  });

  const echo = (body: string): EchoRequest => JSON.parse(body) as EchoRequest;

  it('routes by virtual host, header match and prefix, rewriting the prefix', async () => {
    const plain = await get(proxy.port(), '/v1/users?id=7', { host: 'api.example.com' });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['x-upstream'], 'api');
    assert.equal(echo(plain.body).url, '/internal/users?id=7');

    const canary = await get(proxy.port(), '/v1/users', { host: 'API.Example.com', 'x-canary': 'yes' });
    assert.equal(canary.headers['x-upstream'], 'web', 'domains match case-insensitively; header match wins');
    assert.equal(echo(canary.body).url, '/v1/users');

    const withPort = await get(proxy.port(), '/v1/x', { host: 'api.example.com:8080' });
    assert.equal(withPort.headers['x-upstream'], 'api');
    const otherPort = await get(proxy.port(), '/v1/x', { host: 'api.example.com:9999' });
    assert.equal(otherPort.headers['x-upstream'], 'web', 'a port not listed falls to the * virtual host');
  });

  it('routes by cluster_header and weighted_clusters with per-cluster header mutations', async () => {
    const byHeader = await get(proxy.port(), '/by-header', { 'x-cluster': 'api' });
    assert.equal(byHeader.headers['x-upstream'], 'api');
    assert.equal((await get(proxy.port(), '/by-header')).status, 503, 'no header: cluster not found');
    assert.equal((await get(proxy.port(), '/by-header', { 'x-cluster': 'nope' })).status, 503);
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const response = await get(proxy.port(), '/weighted');
      const picked = echo(response.body).headers['x-picked'];
      assert.equal(picked, response.headers['x-upstream'], 'the entry that was picked adds its own header');
      seen.add(String(picked));
    }
    assert.deepEqual([...seen].sort(), ['api', 'web']);
  });

  it('answers direct responses and redirects locally', async () => {
    const direct = await get(proxy.port(), '/direct');
    assert.equal(direct.status, 418);
    assert.equal(direct.body, 'short and stout');
    assert.equal(direct.headers['x-route-config'], 'global');

    const redirect = await get(proxy.port(), '/old/page?q=1', { host: 'shop.example.com' });
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.location, 'http://shop.example.com/new/page?q=1');

    const https = await get(proxy.port(), '/https/x', { host: 'shop.example.com' });
    assert.equal(https.status, 301);
    assert.equal(https.headers.location, 'https://shop.example.com/https/x');
  });

  it('applies header mutations and host rewrite, and strips hop-by-hop headers', async () => {
    const response = await get(proxy.port(), '/headers', {
      'x-secret': 'hunter2',
      'keep-alive': 'timeout=5',
      'x-hop': 'listed',
      connection: 'x-hop',
    });
    const seen = echo(response.body);
    assert.equal(seen.headers['x-added'], '127.0.0.1');
    assert.equal(seen.headers['x-vhost'], 'catchall');
    assert.equal(seen.headers['x-secret'], undefined);
    assert.equal(seen.headers['keep-alive'], undefined);
    assert.equal(seen.headers['x-hop'], undefined, 'headers named in Connection are hop-by-hop');
    assert.equal(response.headers['x-route'], 'headers');
    assert.equal(response.headers['x-route-config'], 'global');
    assert.match(
      seen.headers['x-request-id'] as string,
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.ok(response.headers['x-envoy-upstream-service-time'] !== undefined);

    const kept = await get(proxy.port(), '/', { 'x-request-id': 'abc-123' });
    assert.equal(
      echo(kept.body).headers['x-request-id'],
      'abc-123',
      'an internal request keeps its request id',
    );

    const rewritten = await get(proxy.port(), '/rewrite-host');
    assert.equal(echo(rewritten.body).headers.host, 'rewritten.internal');
  });

  it('re-frames request bodies: chunked in, chunked out; content-length kept', async () => {
    const chunked = await rawExchange(
      proxy.port(),
      'POST /upload HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
      3000,
    );
    const response = parseRawResponse(chunked)!;
    const seen = echo(response.body);
    assert.equal(seen.body, 'hello world');
    assert.equal(seen.headers['transfer-encoding'], 'chunked');

    const sized = parseRawResponse(
      await rawExchange(
        proxy.port(),
        'PUT /x HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\nconnection: close\r\n\r\nabc',
        3000,
      ),
    )!;
    assert.equal(echo(sized.body).body, 'abc');
    assert.equal(echo(sized.body).headers['content-length'], '3');
  });

  it('reuses upstream keep-alive connections and serves pipelined requests in order', async () => {
    const before = web.connections;
    const pipelined = await rawExchange(
      proxy.port(),
      'GET /p1 HTTP/1.1\r\nhost: a\r\n\r\nGET /p2 HTTP/1.1\r\nhost: a\r\n\r\nGET /p3 HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n',
      3000,
    );
    const urls = [...pipelined.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(urls, ['/p1', '/p2', '/p3']);
    assert.ok(
      web.connections - before <= 1,
      `expected upstream reuse, saw ${web.connections - before} new connections`,
    );
  });

  it('maps failures to Envoy status codes, bodies and flags', async () => {
    const noRoute = await startUpstream('unused');
    await noRoute.close();
    const nc = await get(proxy.port(), '/missing-cluster');
    assert.equal(nc.status, 503);
    const uh = await get(proxy.port(), '/no-endpoints');
    assert.equal(uh.status, 503);
    assert.equal(uh.body, 'no healthy upstream');
    const uf = await get(proxy.port(), '/dead');
    assert.equal(uf.status, 503);
    assert.match(uf.body, /reset reason: connection failure/);
    const uc = await get(proxy.port(), '/broken/close-before-headers');
    assert.equal(uc.status, 503);
    assert.match(uc.body, /connection termination/);
    const upe = await get(proxy.port(), '/broken/cl-and-te');
    assert.equal(upe.status, 502);
    const badStatus = await get(proxy.port(), '/broken/bad-status');
    assert.equal(badStatus.status, 502);
    const ut = await get(proxy.port(), '/broken/slow');
    assert.equal(ut.status, 504);
    assert.equal(ut.body, 'upstream request timeout');
    const idle = await get(proxy.port(), '/broken/slow-idle');
    assert.equal(idle.status, 504, 'route idle_timeout replaces the stream idle timeout');
    assert.equal(idle.body, 'stream timeout');
    const closeDelimited = await get(proxy.port(), '/broken/close-delimited');
    assert.equal(closeDelimited.status, 200);
    assert.equal(closeDelimited.body, 'until-close');

    const stats = (await admin(proxy.adminPort, '/stats')).body;
    assert.match(stats, /^cluster\.dead\.upstream_cx_connect_fail: [1-9]/m);
    assert.match(stats, /^cluster\.broken\.upstream_rq_timeout: 1$/m);
    assert.match(stats, /^http\.ingress_http\.downstream_rq_5xx: [1-9]/m);
  });

  it('sends response headers at once when the body comes later (no holding back for coalescing)', { timeout: 10_000 }, async () => {
    const socket = connect(proxy.port(), '127.0.0.1');
    socket.write('GET /broken/head-first HTTP/1.1\r\nhost: a\r\nconnection: close\r\n\r\n');
    let received = '';
    await new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        if (received.includes('\r\n\r\n')) resolve();
      });
    });
    assert.match(received, /^HTTP\/1\.1 200 OK/, 'the head arrived while the upstream still withholds the body');
    assert.ok(!received.includes('later'));
    const upstreamSocket = heldBodies.shift()!;
    upstreamSocket.end('5\r\nlater\r\n0\r\n\r\n');
    await new Promise((resolve) => socket.on('close', resolve));
    assert.match(received, /5\r\nlater\r\n0\r\n\r\n$/);
  });

  it('resets the client when the upstream dies after the response started', async () => {
    const raw = await rawExchange(
      proxy.port(),
      'GET /broken/close-mid-body HTTP/1.1\r\nhost: a\r\n\r\n',
      3000,
    );
    assert.match(raw, /^HTTP\/1\.1 200 OK/);
    assert.ok(
      raw.endsWith('only-part'),
      'the partial body arrives, then the connection is closed, not completed',
    );
  });

  it('rejects framing errors with 400 and closes, and keeps serving', async () => {
    const smuggle = await rawExchange(
      proxy.port(),
      'POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nhost: a\r\n\r\n',
    );
    assert.match(smuggle, /^HTTP\/1\.1 400 /);
    assert.equal(smuggle.match(/HTTP\/1\.1/g)?.length, 1, 'nothing after the bad request is parsed');
    assert.ok(!web.requests.some((r) => r.url === '/smuggled'));
    const after = await get(proxy.port(), '/still-alive');
    assert.equal(after.status, 200);
  });

  it('refuses HTTP/1.0 unless accept_http_10, and refuses upgrades', async () => {
    const old = await rawExchange(proxy.port(), 'GET / HTTP/1.0\r\nhost: a\r\n\r\n');
    assert.match(old, /^HTTP\/1\.1 426 /);
    const upgrade = await rawExchange(
      proxy.port(),
      'GET /ws HTTP/1.1\r\nhost: a\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\nGET /after-upgrade HTTP/1.1\r\nhost: a\r\n\r\n',
    );
    assert.match(upgrade, /^HTTP\/1\.1 403 /);
    assert.ok(
      !web.requests.some((r) => r.url === '/after-upgrade'),
      'bytes after a refused upgrade are never parsed',
    );
  });

  it('serves the admin API', async () => {
    assert.deepEqual(await admin(proxy.adminPort, '/ready'), { status: 200, body: 'LIVE\n' });
    const info = JSON.parse((await admin(proxy.adminPort, '/server_info')).body) as { state: string };
    assert.equal(info.state, 'LIVE');
    const prom = (await admin(proxy.adminPort, '/stats/prometheus')).body;
    assert.match(prom, /^envoy_cluster_upstream_rq_total\{envoy_cluster_name="web"\} [1-9]/m);
    const dump = JSON.parse((await admin(proxy.adminPort, '/config_dump')).body) as {
      configs: { '@type': string }[];
    };
    assert.deepEqual(
      dump.configs.map((c) => c['@type'].split('.').pop()),
      ['BootstrapConfigDump', 'ClustersConfigDump', 'ListenersConfigDump', 'RoutesConfigDump'],
    );
    const clusters = (await admin(proxy.adminPort, '/clusters')).body;
    assert.match(clusters, new RegExp(`^web::127\\.0\\.0\\.1:${web.port}::health_flags::healthy$`, 'm'));
    assert.equal((await admin(proxy.adminPort, '/quitquitquit')).status, 405, 'mutations need POST');
  });
});
