/**
 * The connection manager's timeouts against clients and upstreams that stall on purpose:
 * request_headers_timeout (slowloris), request_timeout (a slow body), stream_idle_timeout (an
 * upstream that never answers) and the connection idle_timeout, each with Envoy's reply and stat.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  get,
  httpBootstrap,
  parseRawResponse,
  type RunningProxy,
  routes,
  startProxy,
  startUpstream,
  stat,
  staticCluster,
  type Upstream,
  waitFor,
} from '../support/proxy-harness.js';

/** Opens a connection and records everything the proxy sends until it closes. */
function openClient(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const opened = performance.now();
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', () => {});
    const closed = new Promise<number>((done) => socket.on('close', () => done(performance.now() - opened)));
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

describe('connection manager timeouts', () => {
  let upstream: Upstream;
  let proxy: RunningProxy;

  before(async () => {
    upstream = await startUpstream('slow', (req, res) => {
      if (req.url?.startsWith('/never')) return; // holds the request open
      res.end('ok');
    });
    proxy = await startProxy(
      httpBootstrap(routes({ match: { prefix: '/' }, route: { cluster: 'slow' } }), [staticCluster('slow', [upstream.port])], {
        request_headers_timeout: '0.3s',
        request_timeout: '0.6s',
        stream_idle_timeout: '0.4s',
        common_http_protocol_options: { idle_timeout: '0.5s' },
      }),
    );
  });

  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('request_headers_timeout closes a slowloris connection that never finishes its headers', async () => {
    const before = await stat(proxy, 'http.ingress_http.downstream_rq_header_timeout');
    const client = await openClient(proxy.port());
    client.socket.write('GET / HTTP/1.1\r\nhost: example.com\r\n');
    const drip = setInterval(() => client.socket.write('x-drip: 1\r\n'), 100);
    const elapsed = await client.closed;
    clearInterval(drip);
    assert.ok(elapsed >= 250, `closed after ${elapsed} ms, before the 300 ms timeout`);
    assert.equal(client.received(), '', 'no response: the request never existed');
    assert.equal((await stat(proxy, 'http.ingress_http.downstream_rq_header_timeout')) - before, 1);
  });

  it('request_timeout answers 408 when the body takes too long', async () => {
    const client = await openClient(proxy.port());
    client.socket.write('POST /upload HTTP/1.1\r\nhost: example.com\r\ncontent-length: 100\r\n\r\npart');
    const drip = setInterval(() => client.socket.write('x'), 100);
    await client.closed;
    clearInterval(drip);
    const response = parseRawResponse(client.received());
    assert.equal(response?.status, 408);
    assert.equal(response?.body, 'request timeout');
  });

  it('stream_idle_timeout answers 504 (flag SI) when the upstream goes silent', async () => {
    const before = await stat(proxy, 'http.ingress_http.downstream_rq_idle_timeout');
    const response = await get(proxy.port(), '/never');
    assert.equal(response.status, 504);
    assert.equal(response.body, 'stream timeout');
    assert.equal((await stat(proxy, 'http.ingress_http.downstream_rq_idle_timeout')) - before, 1);
  });

  it('idle_timeout closes a kept-alive connection with no request in flight', async () => {
    const before = await stat(proxy, 'http.ingress_http.downstream_cx_idle_timeout');
    const client = await openClient(proxy.port());
    client.socket.write('GET /quick HTTP/1.1\r\nhost: example.com\r\n\r\n');
    await waitFor('the response', () => client.received().includes('\r\n\r\nok'));
    const elapsed = await client.closed;
    assert.ok(elapsed >= 450, `closed after ${elapsed} ms, before the 500 ms idle timeout`);
    assert.equal((await stat(proxy, 'http.ingress_http.downstream_cx_idle_timeout')) - before, 1);
  });
});
