import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { closedPortUrl, fakeServer, json } from './fake-server.test.util.js';
import { createHttpClient, noProxyMatcher, proxySettingsFromEnv } from './http-client.js';
import type { HttpClient } from './http-client.js';

describe('bookinfo http-client', () => {
  const clients: HttpClient[] = [];
  const client = (env: Record<string, string>): HttpClient => {
    const c = createHttpClient(env);
    clients.push(c);
    return c;
  };
  after(() => clients.forEach((c) => c.close()));

  it('sends absolute-form requests with the target Host to HTTP_PROXY, as curl does', async () => {
    const proxy = await fakeServer((_req, res) => json(res, 200, { via: 'proxy' }));
    try {
      const res = await client({ HTTP_PROXY: proxy.url }).request({
        url: 'http://reviews:9080/reviews/0',
        headers: { 'end-user': 'jason' },
        timeoutMs: 2000,
      });
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.body), { via: 'proxy' });
      const [seen] = proxy.requests;
      assert.equal(seen?.method, 'GET');
      assert.equal(seen?.target, 'http://reviews:9080/reviews/0');
      assert.equal(seen?.headers.host, 'reviews:9080');
      assert.equal(seen?.headers['end-user'], 'jason');
    } finally {
      await proxy.close();
    }
  });

  it('accepts a scheme-less proxy and sends proxy credentials as Basic Proxy-Authorization', async () => {
    const proxy = await fakeServer((_req, res) => json(res, 200, {}));
    try {
      const hostPort = proxy.url.replace('http://', '');
      await client({ http_proxy: `user:p%40ss@${hostPort}` }).request({ url: 'http://details:9080/details/0', timeoutMs: 2000 });
      assert.equal(proxy.requests[0]?.target, 'http://details:9080/details/0');
      assert.equal(proxy.requests[0]?.headers['proxy-authorization'], `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    } finally {
      await proxy.close();
    }
  });

  it('connects directly, in origin-form, when NO_PROXY covers the host or no proxy is set', async () => {
    const peer = await fakeServer((_req, res) => json(res, 200, { direct: true }));
    const proxy = await fakeServer((_req, res) => json(res, 502, {}));
    try {
      const viaNoProxy = await client({ HTTP_PROXY: proxy.url, NO_PROXY: 'example.com,127.0.0.0/8' }).request({
        url: `${peer.url}/details/0?x=1`,
        timeoutMs: 2000,
      });
      const noProxy = await client({}).request({ url: `${peer.url}/details/1`, timeoutMs: 2000 });
      assert.equal(viaNoProxy.status, 200);
      assert.equal(noProxy.status, 200);
      assert.deepEqual(peer.requests.map((r) => r.target), ['/details/0?x=1', '/details/1']);
      assert.equal(proxy.requests.length, 0);
    } finally {
      await Promise.all([peer.close(), proxy.close()]);
    }
  });

  it('matches NO_PROXY entries as curl and Go do', () => {
    const bypass = noProxyMatcher('.svc.cluster.local, details , 10.0.0.0/8, ratings:9090, [::1]');
    assert.equal(bypass('reviews.default.svc.cluster.local', 9080), true);
    assert.equal(bypass('details', 9080), true);
    assert.equal(bypass('api.details', 80), true, 'a domain covers its subdomains');
    assert.equal(bypass('mydetails', 9080), false, 'but not names merely ending with it');
    assert.equal(bypass('10.1.2.3', 9080), true);
    assert.equal(bypass('11.1.2.3', 9080), false);
    assert.equal(bypass('ratings', 9090), true);
    assert.equal(bypass('ratings', 9080), false, 'a port in the entry restricts it to that port');
    assert.equal(bypass('[::1]', 9080), true);
    assert.equal(bypass('reviews', 9080), false);
    assert.equal(noProxyMatcher('*')('anything', 1), true);
    assert.equal(noProxyMatcher('')('anything', 1), false);
  });

  it('rejects a proxy it cannot speak to at configuration time', () => {
    assert.throws(() => proxySettingsFromEnv({ HTTP_PROXY: 'socks5://127.0.0.1:1080' }), /only http:\/\/ proxies/);
    assert.equal(proxySettingsFromEnv({ HTTP_PROXY: '  ' }).proxy, undefined);
  });

  it('rejects after the timeout when the peer never answers, and on refused connections', async () => {
    const silent = await fakeServer(() => undefined);
    try {
      const started = performance.now();
      await assert.rejects(client({}).request({ url: `${silent.url}/x`, timeoutMs: 150 }), /timeout after 150 ms/);
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 140 && elapsed < 1000, `took ${elapsed} ms`);
      await assert.rejects(client({}).request({ url: `${await closedPortUrl()}/x`, timeoutMs: 1000 }), /ECONNREFUSED/);
    } finally {
      await silent.close();
    }
  });
});
