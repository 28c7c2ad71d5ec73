/** The fault filter over real sockets: aborts by percentage, delays, per-route overrides, header control. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  admin,
  get,
  httpBootstrap,
  type RunningProxy,
  routes,
  startProxy,
  startUpstream,
  staticCluster,
  type Upstream,
} from '../support/proxy-harness.js';
import { tempDir } from '../support/temp-dir.js';

const FAULT = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const FILE_LOG = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
const NAME = 'envoy.filters.http.fault';

function faultChain(fault: object): Record<string, unknown> {
  return {
    http_filters: [
      { name: NAME, typed_config: { '@type': FAULT, ...fault } },
      { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } },
    ],
  };
}

async function stat(proxy: RunningProxy, name: string): Promise<number> {
  const { body } = await admin(proxy.adminPort, `/stats?filter=${encodeURIComponent(`^${name}$`)}`);
  const line = body.split('\n').find((l) => l.startsWith(`${name}: `));
  assert.ok(line, `no stat ${name} in ${JSON.stringify(body)}`);
  return Number(line.slice(name.length + 2));
}

/** Runs `total` requests, `concurrency` at a time, and returns their statuses. */
async function statuses(port: number, total: number, requestPath: string, concurrency = 8): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      out.push((await get(port, requestPath)).status);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

describe('fault filter', () => {
  let upstream: Upstream;
  before(async () => {
    upstream = await startUpstream('web');
  });
  after(async () => {
    await upstream.close();
  });

  it('aborts about the configured 50 % of requests with FI in the access log and stats', async () => {
    const logFile = path.join(tempDir('skein-fault-'), 'access.log');
    const proxy = await startProxy(
      httpBootstrap(routes({ match: { prefix: '/' }, route: { cluster: 'web' } }), [staticCluster('web', [upstream.port])], {
        ...faultChain({ abort: { http_status: 503, percentage: { numerator: 50, denominator: 'HUNDRED' } } }),
        access_log: [
          {
            name: 'envoy.access_loggers.file',
            typed_config: {
              '@type': FILE_LOG,
              path: logFile,
              log_format: { text_format_source: { inline_string: '%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS%\n' } },
            },
          },
        ],
      }),
    );
    try {
      const total = 200;
      const results = await statuses(proxy.port(), total, '/');
      const aborted = results.filter((s) => s === 503).length;
      assert.equal(aborted + results.filter((s) => s === 200).length, total);
      // Binomial(200, 0.5): mean 100, sigma ~7.07; 5 sigma either side.
      assert.ok(Math.abs(aborted - total / 2) <= 5 * Math.sqrt(total / 4), `aborted ${aborted} of ${total}`);
      assert.equal(await stat(proxy, 'http.ingress_http.fault.aborts_injected'), aborted);
      await sleep(100);
      const lines = readFileSync(logFile, 'utf8').trim().split('\n');
      assert.equal(lines.filter((l) => l === '503 FI fault_filter_abort').length, aborted);
      assert.equal(lines.filter((l) => l.startsWith('200 - ')).length, total - aborted);
    } finally {
      await proxy.close();
    }
  });

  it('delays by fixed_delay before forwarding, flag DI', async () => {
    const proxy = await startProxy(
      httpBootstrap(routes({ match: { prefix: '/' }, route: { cluster: 'web' } }), [staticCluster('web', [upstream.port])], {
        ...faultChain({ delay: { fixed_delay: '0.3s', percentage: { numerator: 100 } } }),
      }),
    );
    try {
      const started = performance.now();
      const response = await get(proxy.port(), '/slow');
      const elapsed = performance.now() - started;
      assert.equal(response.status, 200);
      assert.ok(elapsed >= 300, `took ${elapsed} ms`);
      assert.equal(await stat(proxy, 'http.ingress_http.fault.delays_injected'), 1);
      assert.equal(await stat(proxy, 'http.ingress_http.fault.active_faults'), 0);
    } finally {
      await proxy.close();
    }
  });

  it('releases a delayed request whose client disconnects: nothing reaches the upstream', async () => {
    const seen = await startUpstream('seen');
    const proxy = await startProxy(
      httpBootstrap(routes({ match: { prefix: '/' }, route: { cluster: 'seen' } }), [staticCluster('seen', [seen.port])], {
        ...faultChain({ delay: { fixed_delay: '0.3s', percentage: { numerator: 100 } } }),
      }),
    );
    try {
      const socket = connect(proxy.port(), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('GET / HTTP/1.1\r\nhost: example.com\r\n\r\n');
      await sleep(50);
      assert.equal(await stat(proxy, 'http.ingress_http.fault.active_faults'), 1);
      socket.resetAndDestroy(); // a client that goes away (RST; a FIN alone still awaits the response)
      await sleep(100);
      assert.equal(await stat(proxy, 'http.ingress_http.fault.active_faults'), 0);
      await sleep(350);
      assert.equal(seen.requests.length, 0);
    } finally {
      await proxy.close();
      await seen.close();
    }
  });

  it('takes the route\'s typed_per_filter_config over its own (Istio\'s layout)', async () => {
    const routeConfig = routes(
      {
        match: { prefix: '/ratings' },
        route: { cluster: 'web' },
        typed_per_filter_config: {
          [NAME]: { '@type': FAULT, abort: { http_status: 500, percentage: { numerator: 100 } } },
        },
      },
      {
        match: { prefix: '/reviews' },
        route: { cluster: 'web' },
        typed_per_filter_config: {
          [NAME]: { '@type': FAULT, abort: { http_status: 500, percentage: { numerator: 0 } } },
        },
      },
      { match: { prefix: '/' }, route: { cluster: 'web' } },
    );
    const proxy = await startProxy(
      httpBootstrap(routeConfig, [staticCluster('web', [upstream.port])], {
        ...faultChain({ abort: { http_status: 503, percentage: { numerator: 100 } } }),
      }),
    );
    try {
      assert.deepEqual(await statuses(proxy.port(), 5, '/ratings', 1), [500, 500, 500, 500, 500]);
      assert.deepEqual(await statuses(proxy.port(), 5, '/reviews', 1), [200, 200, 200, 200, 200]);
      const other = await get(proxy.port(), '/details');
      assert.equal(other.status, 503);
      assert.equal(other.body, 'fault filter abort');
    } finally {
      await proxy.close();
    }
  });

  it('runs a fault filter disabled in http_filters only where a route enables it with FilterConfig', async () => {
    const FILTER_CONFIG = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';
    const routeConfig = routes(
      {
        match: { prefix: '/enabled' },
        route: { cluster: 'web' },
        typed_per_filter_config: { [NAME]: { '@type': FILTER_CONFIG, config: { '@type': FAULT, abort: { http_status: 503, percentage: { numerator: 100 } } } } },
      },
      { match: { prefix: '/' }, route: { cluster: 'web' } },
    );
    const chain = faultChain({ abort: { http_status: 500, percentage: { numerator: 100 } } });
    (chain.http_filters as Record<string, unknown>[])[0]!.disabled = true;
    const proxy = await startProxy(httpBootstrap(routeConfig, [staticCluster('web', [upstream.port])], chain));
    try {
      assert.equal((await get(proxy.port(), '/enabled')).status, 503);
      assert.equal((await get(proxy.port(), '/other')).status, 200);
    } finally {
      await proxy.close();
    }
  });

  it('ignores x-envoy-fault-* headers unless header_abort is configured', async () => {
    const routeConfig = routes(
      {
        match: { prefix: '/header' },
        route: { cluster: 'web' },
        typed_per_filter_config: { [NAME]: { '@type': FAULT, abort: { header_abort: {}, percentage: { numerator: 100 } } } },
      },
      { match: { prefix: '/' }, route: { cluster: 'web' } },
    );
    const proxy = await startProxy(
      httpBootstrap(routeConfig, [staticCluster('web', [upstream.port])], {
        ...faultChain({ abort: { http_status: 503, percentage: { numerator: 0 } } }),
      }),
    );
    try {
      const headers = { 'x-envoy-fault-abort-request': '418', 'x-envoy-fault-abort-request-percentage': '100' };
      assert.equal((await get(proxy.port(), '/fixed', headers)).status, 200);
      assert.equal((await get(proxy.port(), '/header', headers)).status, 418);
      assert.equal((await get(proxy.port(), '/header')).status, 200);
    } finally {
      await proxy.close();
    }
  });
});
