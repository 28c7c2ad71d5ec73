/** The CORS filter over real sockets: preflights answered or forwarded, headers on actual responses. */
import assert from 'node:assert/strict';
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

const CORS = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors';
const POLICY = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const NAME = 'envoy.filters.http.cors';

const policy = {
  allow_origin_string_match: [{ exact: 'https://app.example' }],
  allow_methods: 'GET, POST, PUT',
  allow_headers: 'authorization, content-type',
  expose_headers: 'x-request-id',
  max_age: '86400',
  allow_credentials: true,
};

describe('CORS filter', () => {
  let upstream: Upstream;
  let proxy: RunningProxy;
  before(async () => {
    upstream = await startUpstream('web');
    const routeConfig = routes(
      // The deprecated route-level field still works when no typed policy is given.
      { match: { prefix: '/legacy' }, route: { cluster: 'web', cors: { ...policy, allow_methods: 'DELETE' } } },
      { match: { prefix: '/' }, route: { cluster: 'web' }, typed_per_filter_config: { [NAME]: { '@type': POLICY, ...policy } } },
    );
    proxy = await startProxy(
      httpBootstrap(routeConfig, [staticCluster('web', [upstream.port])], {
        http_filters: [
          { name: NAME, typed_config: { '@type': CORS } },
          { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } },
        ],
      }),
    );
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  const preflight = (origin: string, requestPath = '/api') =>
    get(proxy.port(), requestPath, { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' }, 'OPTIONS');

  it('answers an allowed preflight with 200 and the allow headers, without the upstream', async () => {
    const before = upstream.requests.length;
    const response = await preflight('https://app.example');
    assert.equal(response.status, 200);
    assert.equal(response.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(response.headers['access-control-allow-methods'], 'GET, POST, PUT');
    assert.equal(response.headers['access-control-allow-headers'], 'authorization, content-type');
    assert.equal(response.headers['access-control-max-age'], '86400');
    assert.equal(response.headers['access-control-allow-credentials'], 'true');
    assert.equal(response.headers['content-length'], '0');
    assert.equal(upstream.requests.length, before);
  });

  it('forwards a preflight from a disallowed origin (forward_not_matching_preflights defaults to true) without CORS headers', async () => {
    const before = upstream.requests.length;
    const response = await preflight('https://evil.example');
    assert.equal(response.headers['x-upstream'], 'web');
    assert.equal(response.headers['access-control-allow-origin'], undefined);
    assert.equal(upstream.requests.length, before + 1);
  });

  it('adds allow-origin, allow-credentials and expose-headers to an actual request from an allowed origin', async () => {
    const allowed = await get(proxy.port(), '/api', { origin: 'https://app.example' });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers['x-upstream'], 'web');
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example');
    assert.equal(allowed.headers['access-control-allow-credentials'], 'true');
    assert.equal(allowed.headers['access-control-expose-headers'], 'x-request-id');
    const denied = await get(proxy.port(), '/api', { origin: 'https://evil.example' });
    assert.equal(denied.status, 200);
    assert.equal(denied.headers['access-control-allow-origin'], undefined);
  });

  it('applies the deprecated route cors field', async () => {
    const response = await preflight('https://app.example', '/legacy');
    assert.equal(response.status, 200);
    assert.equal(response.headers['access-control-allow-methods'], 'DELETE');
  });

  it('counts origin_valid and origin_invalid under http.<stat_prefix>.cors', async () => {
    const { body } = await admin(proxy.adminPort, '/stats?filter=cors');
    assert.match(body, /^http\.ingress_http\.cors\.origin_invalid: [1-9]\d*$/m);
    assert.match(body, /^http\.ingress_http\.cors\.origin_valid: [1-9]\d*$/m);
  });
});
