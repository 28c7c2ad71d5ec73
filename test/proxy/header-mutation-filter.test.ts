/** The header_mutation filter over real sockets: what the upstream receives and the client gets back. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type EchoRequest,
  get,
  httpBootstrap,
  type RunningProxy,
  routes,
  startProxy,
  startUpstream,
  staticCluster,
  type Upstream,
} from '../support/proxy-harness.js';

const HEADER_MUTATION = 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation';
const PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutationPerRoute';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const NAME = 'envoy.filters.http.header_mutation';

const overwrite = (key: string, value: string) => ({
  append: { header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
});

describe('header_mutation filter', () => {
  let upstream: Upstream;
  let proxy: RunningProxy;
  before(async () => {
    upstream = await startUpstream('web', (_req, res, record) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-powered-by': 'node', 'x-upstream': 'web' });
      res.end(JSON.stringify(record));
    });
    const routeConfig = routes(
      {
        match: { prefix: '/tenant' },
        route: { cluster: 'web' },
        typed_per_filter_config: {
          [NAME]: { '@type': PER_ROUTE, mutations: { request_mutations: [overwrite('x-tenant', 'blue')] } },
        },
      },
      { match: { prefix: '/' }, route: { cluster: 'web' } },
    );
    proxy = await startProxy(
      httpBootstrap(routeConfig, [staticCluster('web', [upstream.port])], {
        http_filters: [
          {
            name: NAME,
            typed_config: {
              '@type': HEADER_MUTATION,
              mutations: {
                request_mutations: [
                  { remove: 'x-internal-token' },
                  overwrite('x-tenant', 'default'),
                  { append: { header: { key: 'x-client', value: '%DOWNSTREAM_REMOTE_ADDRESS%' } } },
                ],
                response_mutations: [{ remove: 'x-powered-by' }, overwrite('x-frame-options', 'DENY')],
              },
            },
          },
          { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } },
        ],
      }),
    );
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  it('mutates the request the upstream receives and the response the client gets', async () => {
    const response = await get(proxy.port(), '/', { 'x-internal-token': 'secret', 'x-tenant': 'spoofed' });
    assert.equal(response.status, 200);
    const seen = JSON.parse(response.body) as EchoRequest;
    assert.equal(seen.headers['x-internal-token'], undefined);
    assert.equal(seen.headers['x-tenant'], 'default');
    assert.match(String(seen.headers['x-client']), /^127\.0\.0\.1:\d+$/);
    assert.equal(response.headers['x-powered-by'], undefined);
    assert.equal(response.headers['x-frame-options'], 'DENY');
    assert.equal(response.headers['x-upstream'], 'web');
  });

  it('applies the route\'s HeaderMutationPerRoute after the filter\'s own mutations', async () => {
    const response = await get(proxy.port(), '/tenant', { 'x-tenant': 'spoofed' });
    const seen = JSON.parse(response.body) as EchoRequest;
    assert.equal(seen.headers['x-tenant'], 'blue');
    assert.equal(response.headers['x-frame-options'], 'DENY');
  });
});
