/**
 * Retries, timeouts and request mirroring end to end, against upstreams that misbehave on
 * purpose: which tries Envoy's router repeats (and which it must not), the response flags and
 * stats that show it, and mirrors that never touch the real request.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  freePort,
  get,
  httpBootstrap,
  rawExchange,
  parseRawResponse,
  type RunningProxy,
  startProxy,
  staticCluster,
  stat,
} from '../support/proxy-harness.js';
import { tempDir } from '../support/temp-dir.js';

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly body: string;
  readonly headers: IncomingMessage['headers'];
}

/**
 * An HTTP upstream scripted by path: `/<behaviour>/<key>`; per-key counters let one test make
 * the first tries fail and later ones succeed.
 */
async function startScripted(): Promise<{ port: number; seen: Seen[]; count(key: string): number; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const [, behaviour = '', key = ''] = (req.url ?? '').split('?')[0]!.split('/');
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      seen.push({ method: req.method ?? '', path: req.url ?? '', host: req.headers.host ?? '', body: Buffer.concat(chunks).toString(), headers: req.headers });
      const reply = (status: number, body = `try ${n}`, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers }).end(body);
      const delay = Number(req.headers['x-delay-ms'] ?? 0);
      if (req.headers['x-shadow-hang'] && req.headers.host?.endsWith('-shadow')) return; // a mirror that never answers
      if (delay > 0) return setTimeout(() => reply(200, 'late'), delay);
      const failFirst = /^fail(\d+)-(\d+)$/.exec(behaviour); // fail<count>-<status>
      if (failFirst) return n <= Number(failFirst[1]) ? reply(Number(failFirst[2])) : reply(200);
      switch (behaviour) {
        case 'overloaded':
          return reply(503, 'overloaded', { 'x-envoy-overloaded': 'true' });
        case 'reset-first':
          if (n === 1) return req.socket.destroy();
          return reply(200);
        case 'mid-body':
          res.writeHead(200, { 'content-length': '100' });
          res.write('part');
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        case 'slow-first':
          return setTimeout(() => reply(200), n === 1 ? 1000 : 0);
        case 'slow':
          return setTimeout(() => reply(200), 1000);
        case 'hang':
          return; // never answers
        default:
          return reply(200);
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    seen,
    count: (key) => counts.get(key) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const FILE_LOG = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
const PREVIOUS_HOSTS = 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate';

function retryRoute(prefix: string, retryPolicy: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { match: { prefix }, route: { cluster: 'scripted', retry_policy: retryPolicy, ...extra } };
}


async function post(port: number, urlPath: string, body: string): Promise<ReturnType<typeof parseRawResponse>> {
  const raw = await rawExchange(
    port,
    `POST ${urlPath} HTTP/1.1\r\nhost: example.com\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    5000,
  );
  return parseRawResponse(raw);
}

describe('retries, timeouts and mirroring', () => {
  let proxy: RunningProxy;
  let scripted: Awaited<ReturnType<typeof startScripted>>;
  let shadow: Awaited<ReturnType<typeof startScripted>>;
  let logFile: string;

  before(async () => {
    scripted = await startScripted();
    shadow = await startScripted();
    const dead = await freePort();
    logFile = path.join(tempDir('skein-retry-'), 'access.log');
    const routeConfig = {
      name: 'local',
      virtual_hosts: [
        {
          name: 'all',
          domains: ['*'],
          // The virtual host's policy applies to routes without their own.
          retry_policy: { retry_on: 'retriable-4xx', num_retries: 1 },
          routes: [
            { match: { prefix: '/fail2-503/no-policy' }, route: { cluster: 'scripted' } },
            retryRoute('/fail2-503/', { retry_on: '5xx', num_retries: 2 }),
            retryRoute('/fail3-503/', { retry_on: '5xx', num_retries: 2 }),
            retryRoute('/fail1-500/gw', { retry_on: 'gateway-error', num_retries: 2 }),
            retryRoute('/fail1-502/', { retry_on: 'gateway-error', num_retries: 2 }),
            retryRoute('/fail1-418/', { retry_on: 'retriable-status-codes', retriable_status_codes: [418] }),
            retryRoute('/fail1-404/', { retry_on: 'retriable-4xx,retriable-status-codes', retriable_status_codes: [418] }),
            retryRoute('/overloaded/', { retry_on: '5xx', num_retries: 3 }),
            retryRoute('/reset-first/connect-only', { retry_on: 'connect-failure', num_retries: 2 }),
            retryRoute('/reset-first/', { retry_on: 'reset', num_retries: 2 }),
            retryRoute('/mid-body/', { retry_on: '5xx,reset', num_retries: 2 }),
            retryRoute('/slow-first/', { retry_on: '5xx', num_retries: 2, per_try_timeout: '0.2s' }),
            retryRoute('/slow/', { retry_on: '5xx', num_retries: 5, per_try_timeout: '0.2s' }, { timeout: '0.5s' }),
            retryRoute('/fail1-503/big', { retry_on: '5xx', num_retries: 1 }),
            {
              match: { prefix: '/fail1-503/overflow' },
              route: { cluster: 'no-retries', retry_policy: { retry_on: '5xx', num_retries: 3 } },
            },
            { match: { prefix: '/fail1-409/' }, route: { cluster: 'scripted' } },
            {
              match: { prefix: '/fail1-503/post' },
              route: { cluster: 'scripted', retry_policy: { retry_on: '5xx', num_retries: 1 } },
            },
            {
              match: { prefix: '/half-dead/' },
              route: {
                cluster: 'half-dead',
                retry_policy: {
                  retry_on: 'connect-failure',
                  num_retries: 1,
                  retry_host_predicate: [
                    { name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': PREVIOUS_HOSTS } },
                  ],
                  host_selection_retry_max_attempts: 5,
                },
              },
            },
            {
              match: { prefix: '/mirrored/' },
              route: { cluster: 'scripted', request_mirror_policies: [{ cluster: 'shadow' }] },
            },
            {
              match: { prefix: '/mirror-to-dead/' },
              route: { cluster: 'scripted', request_mirror_policies: [{ cluster: 'dead' }] },
            },
            {
              match: { prefix: '/mirror-half/' },
              route: {
                cluster: 'scripted',
                request_mirror_policies: [
                  { cluster: 'shadow', runtime_fraction: { default_value: { numerator: 50, denominator: 'HUNDRED' } } },
                ],
              },
            },
            {
              match: { prefix: '/duration/' },
              route: { cluster: 'scripted', max_stream_duration: { max_stream_duration: '0.3s' } },
            },
            { match: { prefix: '/' }, route: { cluster: 'scripted' } },
          ],
        },
      ],
    };
    proxy = await startProxy(
      httpBootstrap(
        routeConfig,
        [
          staticCluster('scripted', [scripted.port]),
          staticCluster('shadow', [shadow.port]),
          staticCluster('dead', [dead]),
          staticCluster('no-retries', [scripted.port], { circuit_breakers: { thresholds: [{ max_retries: 0 }] } }),
          staticCluster('half-dead', [dead, scripted.port], { lb_policy: 'ROUND_ROBIN' }),
        ],
        {
          access_log: [
            {
              name: 'envoy.access_loggers.file',
              typed_config: {
                '@type': FILE_LOG,
                path: logFile,
                log_format: { text_format_source: { inline_string: '%REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS%\n' } },
              },
            },
          ],
        },
      ),
    );
  });

  after(async () => {
    await proxy.close();
    await scripted.close();
    await shadow.close();
  });

  /** The access-log flags of the one request to `urlPath` (waits for the line). */
  async function flagsOf(urlPath: string): Promise<string> {
    for (let i = 0; i < 50; i++) {
      const line = readFileSync(logFile, 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${urlPath} `));
      if (line) return line.split(' ')[2] ?? '';
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no access log line for ${urlPath}`);
  }

  it('retries 5xx until a try succeeds, counting retries and the success', async () => {
    const retriesBefore = await stat(proxy, 'cluster.scripted.upstream_rq_retry');
    const successBefore = await stat(proxy, 'cluster.scripted.upstream_rq_retry_success');
    const response = await get(proxy.port(), '/fail2-503/a');
    assert.equal(response.status, 200);
    assert.equal(response.body, 'try 3');
    assert.equal(scripted.count('a'), 3);
    assert.equal((await stat(proxy, 'cluster.scripted.upstream_rq_retry')) - retriesBefore, 2);
    assert.equal((await stat(proxy, 'cluster.scripted.upstream_rq_retry_success')) - successBefore, 1);
  });

  it('passes the last response on with URX when retries are exhausted', async () => {
    const response = await get(proxy.port(), '/fail3-503/b');
    assert.equal(response.status, 503);
    assert.equal(response.body, 'try 3', 'the upstream response itself, not a local reply');
    assert.equal(scripted.count('b'), 3, 'one try and num_retries 2');
    assert.equal(await flagsOf('/fail3-503/b'), 'URX');
  });

  it('does not retry without a retry policy', async () => {
    const response = await get(proxy.port(), '/fail2-503/no-policy');
    assert.equal(response.status, 503);
    assert.equal(scripted.count('no-policy'), 1);
  });

  it('gateway-error retries 502/503/504 but not 500', async () => {
    assert.equal((await get(proxy.port(), '/fail1-502/c')).status, 200);
    assert.equal(scripted.count('c'), 2);
    assert.equal((await get(proxy.port(), '/fail1-500/gw')).status, 500);
    assert.equal(scripted.count('gw'), 1);
  });

  it('retriable-status-codes and retriable-4xx (409 only); the virtual host policy applies to routes without one', async () => {
    assert.equal((await get(proxy.port(), '/fail1-418/d')).status, 200);
    assert.equal(scripted.count('d'), 2);
    assert.equal((await get(proxy.port(), '/fail1-404/e')).status, 404);
    assert.equal(scripted.count('e'), 1);
    assert.equal((await get(proxy.port(), '/fail1-409/f')).status, 200, 'vhost retry_on retriable-4xx');
    assert.equal(scripted.count('f'), 2);
  });

  it('never retries a response marked x-envoy-overloaded', async () => {
    assert.equal((await get(proxy.port(), '/overloaded/g')).status, 503);
    assert.equal(scripted.count('g'), 1);
  });

  it('retries a reset before headers under `reset`, not under `connect-failure`', async () => {
    assert.equal((await get(proxy.port(), '/reset-first/h')).status, 200);
    assert.equal(scripted.count('h'), 2);
    const response = await get(proxy.port(), '/reset-first/connect-only');
    assert.equal(response.status, 503);
    assert.equal(scripted.count('connect-only'), 1);
    assert.equal(await flagsOf('/reset-first/connect-only'), 'UC');
  });

  it('retries connect failures on another host with the previous_hosts predicate', async () => {
    for (let i = 0; i < 10; i++) {
      const response = await get(proxy.port(), `/half-dead/i${i}`);
      assert.equal(response.status, 200, `request ${i}`);
    }
  });

  it('never retries once the response is streaming to the client', async () => {
    const raw = await rawExchange(proxy.port(), 'GET /mid-body/j HTTP/1.1\r\nhost: example.com\r\n\r\n', 2000);
    assert.match(raw, /^HTTP\/1\.1 200/);
    assert.ok(!raw.includes('try 2'));
    assert.equal(scripted.count('j'), 1);
  });

  it('replays the request body on a retry', async () => {
    const response = await post(proxy.port(), '/fail1-503/post', 'the body');
    assert.equal(response?.status, 200);
    const tries = scripted.seen.filter((s) => s.path === '/fail1-503/post');
    assert.deepEqual(
      tries.map((t) => [t.method, t.body]),
      [
        ['POST', 'the body'],
        ['POST', 'the body'],
      ],
    );
  });

  it('does not retry a body larger than the buffer limit (1 MiB): it cannot be replayed', async () => {
    const big = 'x'.repeat(2 * 1024 * 1024);
    const response = await post(proxy.port(), '/fail1-503/big', big);
    assert.equal(response?.status, 503);
    assert.equal(scripted.count('big'), 1);
    assert.equal(scripted.seen.find((s) => s.path === '/fail1-503/big')?.body.length, big.length);
  });

  it('a retry over the max_retries circuit breaker is not made and is counted as overflow', async () => {
    const response = await get(proxy.port(), '/fail1-503/overflow');
    assert.equal(response.status, 503);
    assert.equal(scripted.count('overflow'), 1);
    assert.equal(await stat(proxy, 'cluster.no-retries.upstream_rq_retry_overflow'), 1);
  });

  it('retries a per-try timeout and counts it', async () => {
    const before = await stat(proxy, 'cluster.scripted.upstream_rq_per_try_timeout');
    const response = await get(proxy.port(), '/slow-first/k');
    assert.equal(response.status, 200);
    assert.equal(scripted.count('k'), 2);
    assert.equal((await stat(proxy, 'cluster.scripted.upstream_rq_per_try_timeout')) - before, 1);
  });

  it('the route timeout bounds all tries together: 504 UT', async () => {
    const started = performance.now();
    const response = await get(proxy.port(), '/slow/l');
    const elapsed = performance.now() - started;
    assert.equal(response.status, 504);
    assert.equal(response.body, 'upstream request timeout');
    assert.ok(elapsed >= 450, `answered after ${elapsed} ms, before the 500 ms route timeout`);
    assert.ok(scripted.count('l') >= 2, 'per-try timeouts were retried within the route timeout');
    assert.equal(await flagsOf('/slow/l'), 'UT');
  });

  it('x-envoy-upstream-rq-timeout-ms from a trusted client overrides the route timeout and is not forwarded', async () => {
    const response = await get(proxy.port(), '/hang/m', { 'x-envoy-upstream-rq-timeout-ms': '200' });
    assert.equal(response.status, 504);
    await get(proxy.port(), '/plain/n', { 'x-envoy-upstream-rq-timeout-ms': '200', 'x-envoy-retry-on': '5xx' });
    const forwarded = scripted.seen.find((s) => s.path === '/plain/n')!;
    assert.equal(forwarded.headers['x-envoy-upstream-rq-timeout-ms'], undefined);
    assert.equal(forwarded.headers['x-envoy-retry-on'], undefined);
    assert.equal(forwarded.headers['x-envoy-expected-rq-timeout-ms'], '200');
  });

  it('x-envoy-retry-on and x-envoy-max-retries enable retries for a route without a policy', async () => {
    const response = await get(proxy.port(), '/fail2-503/o', { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '2' });
    assert.equal(response.status, 200);
    assert.equal(scripted.count('o'), 3);
  });

  it('route max_stream_duration ends a stream that runs too long: 504 DT', async () => {
    const response = await get(proxy.port(), '/duration/p', { 'x-delay-ms': '1000' });
    assert.equal(response.status, 504);
    assert.equal(response.body, 'downstream duration timeout');
    assert.equal(await flagsOf('/duration/p'), 'DT');
  });

  it('mirrors the request with -shadow appended to the host, body included', async () => {
    const response = await post(proxy.port(), '/mirrored/q', 'mirror me');
    assert.equal(response?.status, 200);
    for (let i = 0; i < 50 && shadow.count('q') === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const copy = shadow.seen.find((s) => s.path === '/mirrored/q');
    assert.ok(copy, 'the shadow cluster received the request');
    assert.equal(copy.host, 'example.com-shadow');
    assert.equal(copy.body, 'mirror me');
    assert.equal(scripted.count('q'), 1);
  });

  it('a dead or hanging mirror never affects the real request', async () => {
    assert.equal((await get(proxy.port(), '/mirror-to-dead/r')).status, 200);
    // The shadow hangs forever; the primary answers anyway.
    const response = await get(proxy.port(), '/mirrored/hang', { 'x-shadow-hang': '1' });
    assert.equal(response.status, 200);
  });

  it('runtime_fraction mirrors about the configured share', async () => {
    const n = 200;
    for (let i = 0; i < n; i++) await get(proxy.port(), `/mirror-half/s${i}`);
    for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 10));
    const mirrored = shadow.seen.filter((s) => s.path.startsWith('/mirror-half/')).length;
    // Binomial(200, 0.5): sd ≈ 7.1, so ±5 sd is 65..135.
    assert.ok(mirrored >= 65 && mirrored <= 135, `mirrored ${mirrored} of ${n}`);
  });
});
