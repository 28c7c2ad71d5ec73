/**
 * Path normalization is applied once and the same path is used for routing and forwarding
 * (hardening.md §2 rows 1–3, 6), and `Expect: 100-continue` is answered by the proxy.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  type EchoRequest,
  get,
  httpBootstrap,
  parseRawResponse,
  type RunningProxy,
  startProxy,
  startUpstream,
  staticCluster,
  type Upstream,
} from '../support/proxy-harness.js';

describe('path normalization and 100-continue', () => {
  let proxy: RunningProxy;
  let admin: Upstream;
  let pub: Upstream;

  before(async () => {
    admin = await startUpstream('admin');
    pub = await startUpstream('public');
    const routeConfig = {
      name: 'local',
      virtual_hosts: [
        {
          name: 'all',
          domains: ['*'],
          routes: [
            { match: { prefix: '/admin' }, route: { cluster: 'admin' } },
            { match: { prefix: '/' }, route: { cluster: 'public' } },
          ],
        },
      ],
    };
    proxy = await startProxy(
      httpBootstrap(routeConfig, [staticCluster('admin', [admin.port]), staticCluster('public', [pub.port])], {
        normalize_path: true,
        merge_slashes: true,
        path_with_escaped_slashes_action: 'REJECT_REQUEST',
      }),
    );
  });

  after(async () => {
    await proxy.close();
    await admin.close();
    await pub.close();
  });

  const seenBy = (response: { headers: Record<string, string>; body: string }) => ({
    upstream: response.headers['x-upstream'],
    url: (JSON.parse(response.body) as EchoRequest).url,
  });

  it('routes and forwards the same normalized path', async () => {
    for (const raw of ['/public/../admin', '//admin', '/./admin', '/%61dmin', '/public/%2e%2e/admin']) {
      const response = await get(proxy.port(), raw);
      assert.deepEqual(seenBy(response), { upstream: 'admin', url: '/admin' }, raw);
    }
    const withQuery = await get(proxy.port(), '/a/b/../c?x=/../y');
    assert.deepEqual(seenBy(withQuery), { upstream: 'public', url: '/a/c?x=/../y' }, 'the query is left alone');
    const fragment = await get(proxy.port(), '/admin#section');
    assert.deepEqual(seenBy(fragment), { upstream: 'admin', url: '/admin' }, 'the fragment never reaches the upstream');
  });

  it('rejects escaped slashes when configured to, before any routing', async () => {
    for (const raw of ['/%2Fadmin', '/%5Cadmin', '/public%2f..%2fadmin']) {
      const response = await get(proxy.port(), raw);
      assert.equal(response.status, 400, raw);
    }
    assert.ok(!admin.requests.some((r) => r.url.includes('%')), 'no escaped path reached an upstream');
  });

  it('answers Expect: 100-continue itself and forwards the body without the Expect header', async () => {
    const socket = connect(proxy.port(), '127.0.0.1');
    socket.write('POST /upload HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n');
    let received = '';
    await new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        if (received.includes('100 Continue\r\n\r\n')) resolve();
      });
    });
    assert.equal(received, 'HTTP/1.1 100 Continue\r\n\r\n', 'the interim response comes before any body is sent');
    socket.write('hello');
    await new Promise((resolve) => socket.on('close', resolve));
    const final = parseRawResponse(received.slice('HTTP/1.1 100 Continue\r\n\r\n'.length))!;
    const seen = JSON.parse(final.body) as EchoRequest;
    assert.equal(seen.body, 'hello');
    assert.equal(seen.headers.expect, undefined, 'Expect is hop-by-hop here: the proxy already answered it');
  });
});
