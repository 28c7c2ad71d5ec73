/**
 * Circuit breakers end to end over real sockets, including Istio's circuit-breaking task at the
 * Envoy level (tasks/traffic-management/circuit-breaking: maxConnections 1,
 * http1MaxPendingRequests 1, maxRequestsPerConnection 1 and an outlier policy, against a slow
 * upstream): requests past a limit get 503 with flag UO, each counted in
 * upstream_rq_pending_overflow, and the circuit_breakers gauges show the limits being hit.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  get,
  httpBootstrap,
  type RawResponse,
  routes,
  startProxy,
  startUpstream,
  staticCluster,
  type Upstream,
  stat,
  waitFor,
} from '../support/proxy-harness.js';
import { tempDir } from '../support/temp-dir.js';

const FILE_LOG = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const OVERFLOW_BODY = 'upstream connect error or disconnect/reset before headers. reset reason: overflow';



/** `total` requests from `clients` concurrent clients, each sending one after another (fortio -c -n). */
async function load(port: number, clients: number, total: number): Promise<RawResponse[]> {
  const responses: RawResponse[] = [];
  let sent = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (sent < total) {
        sent++;
        responses.push(await get(port, '/get'));
      }
    }),
  );
  return responses;
}

describe('circuit breakers', () => {
  let slow: Upstream;
  before(async () => {
    slow = await startUpstream('httpbin', (_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      }, 150);
    });
  });
  after(async () => {
    await slow.close();
  });

  it("reproduces Istio's circuit-breaking task: 503 UO past the limits, each counted as pending overflow", async () => {
    const logPath = path.join(tempDir('skein-cb-'), 'access.log');
    const proxy = await startProxy(
      httpBootstrap(
        routes({ match: { prefix: '/' }, route: { cluster: 'httpbin' } }),
        [
          staticCluster('httpbin', [slow.port], {
            circuit_breakers: { thresholds: [{ max_connections: 1, max_pending_requests: 1 }] },
            typed_extension_protocol_options: {
              [HTTP_OPTIONS]: {
                '@type': `type.googleapis.com/${HTTP_OPTIONS}`,
                common_http_protocol_options: { max_requests_per_connection: 1 },
                explicit_http_config: { http_protocol_options: {} },
              },
            },
            outlier_detection: { consecutive_5xx: 1, interval: '1s', base_ejection_time: '180s', max_ejection_percent: 100 },
          }),
        ],
        {
          access_log: [
            {
              name: 'envoy.access_loggers.file',
              typed_config: { '@type': FILE_LOG, path: logPath, log_format: { text_format: '%RESPONSE_CODE% %RESPONSE_FLAGS%\n' } },
            },
          ],
        },
      ),
    );
    try {
      // More clients than the 1 connection + 1 pending the limits allow, and a slow upstream, so
      // requests overlap even on a loaded machine.
      const responses = await load(proxy.port(), 5, 20);
      const overflowed = responses.filter((r) => r.status === 503);
      assert.equal(responses.length, 20);
      assert.ok(overflowed.length > 0, 'some requests were refused');
      assert.ok(overflowed.length < 20, 'some requests went through');
      assert.equal(responses.filter((r) => r.status === 200).length + overflowed.length, 20);
      for (const r of overflowed) assert.equal(r.body, OVERFLOW_BODY);
      assert.equal(await stat(proxy, 'cluster.httpbin.upstream_rq_pending_overflow'), overflowed.length);
      // Overflow is the cluster's own doing, not the host's: nothing is ejected (Envoy issue 25487).
      assert.equal(await stat(proxy, 'cluster.httpbin.outlier_detection.ejections_active'), 0);
      // max_requests_per_connection 1: every request had its own upstream connection.
      assert.equal(slow.connections >= responses.length - overflowed.length, true);
      await waitFor('the access log', () => {
        try {
          return readFileSync(logPath, 'utf8').trim().split('\n').length === 20;
        } catch {
          return false;
        }
      });
      const lines = readFileSync(logPath, 'utf8').trim().split('\n');
      assert.equal(lines.filter((l) => l === '503 UO').length, overflowed.length);
      assert.equal(lines.filter((l) => l === '200 -').length, 20 - overflowed.length);
    } finally {
      await proxy.close();
    }
  });

  it('marks overflow replies with x-envoy-overloaded: true', async () => {
    const proxy = await startProxy(
      httpBootstrap(routes({ match: { prefix: '/' }, route: { cluster: 'httpbin' } }), [
        staticCluster('httpbin', [slow.port], { circuit_breakers: { thresholds: [{ max_pending_requests: 0 }] } }),
      ]),
    );
    try {
      const res = await get(proxy.port(), '/get');
      assert.equal(res.status, 503);
      assert.equal(res.headers['x-envoy-overloaded'], 'true');
    } finally {
      await proxy.close();
    }
  });

  it('refuses a request past max_requests with 503 UO, counted as pending overflow', async () => {
    const proxy = await startProxy(
      httpBootstrap(routes({ match: { prefix: '/' }, route: { cluster: 'httpbin' } }), [
        staticCluster('httpbin', [slow.port], { circuit_breakers: { thresholds: [{ max_requests: 1, track_remaining: true }] } }),
      ]),
    );
    try {
      const first = get(proxy.port(), '/get');
      await waitFor('the first request upstream', async () => (await stat(proxy, 'cluster.httpbin.circuit_breakers.default.rq_open')) === 1);
      assert.equal(await stat(proxy, 'cluster.httpbin.circuit_breakers.default.remaining_rq'), 0);
      const second = await get(proxy.port(), '/get');
      assert.equal(second.status, 503);
      assert.equal(second.body, OVERFLOW_BODY);
      assert.equal((await first).status, 200);
      assert.equal(await stat(proxy, 'cluster.httpbin.upstream_rq_pending_overflow'), 1);
      assert.equal(await stat(proxy, 'cluster.httpbin.circuit_breakers.default.rq_open'), 0);
      assert.equal(await stat(proxy, 'cluster.httpbin.circuit_breakers.default.remaining_rq'), 1);
      assert.equal((await get(proxy.port(), '/get')).status, 200);
    } finally {
      await proxy.close();
    }
  });

  it('shows open breakers and remaining capacity per priority, with track_remaining', async () => {
    const proxy = await startProxy(
      httpBootstrap(routes({ match: { prefix: '/' }, route: { cluster: 'httpbin' } }), [
        staticCluster('httpbin', [slow.port], {
          circuit_breakers: {
            thresholds: [
              { max_connections: 1, max_pending_requests: 2, max_requests: 2, max_retries: 3, track_remaining: true },
              { priority: 'HIGH', max_retries: 1, track_remaining: true },
            ],
          },
        }),
      ]),
    );
    const prefix = 'cluster.httpbin.circuit_breakers';
    try {
      const inFlight = get(proxy.port(), '/get');
      await waitFor('the request upstream', async () => (await stat(proxy, `${prefix}.default.remaining_rq`)) === 1);
      assert.equal(await stat(proxy, `${prefix}.default.cx_open`), 1);
      assert.equal(await stat(proxy, `${prefix}.default.remaining_cx`), 0);
      assert.equal(await stat(proxy, `${prefix}.default.rq_pending_open`), 0);
      assert.equal(await stat(proxy, `${prefix}.default.remaining_pending`), 2);
      assert.equal(await stat(proxy, `${prefix}.default.rq_open`), 0);
      assert.equal(await stat(proxy, `${prefix}.default.rq_retry_open`), 0);
      assert.equal(await stat(proxy, `${prefix}.default.remaining_retries`), 3);
      assert.equal((await inFlight).status, 200);
      assert.equal(await stat(proxy, `${prefix}.default.remaining_rq`), 2);

      // The router's retry budget, reachable per priority.
      const retries = proxy.server.clusterManager.get('httpbin')!.resourceManager('HIGH').retries;
      assert.equal(retries.canCreate(), true);
      retries.inc();
      assert.equal(retries.canCreate(), false);
      assert.equal(await stat(proxy, `${prefix}.high.rq_retry_open`), 1);
      assert.equal(await stat(proxy, `${prefix}.high.remaining_retries`), 0);
      retries.dec();
      assert.equal(await stat(proxy, `${prefix}.high.rq_retry_open`), 0);
    } finally {
      await proxy.close();
    }
  });
});
