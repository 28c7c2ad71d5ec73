/** The local rate limit filter over real sockets: a token bucket that empties, answers 429 and refills. */
import assert from 'node:assert/strict';
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

const LOCAL_RATE_LIMIT = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const NAME = 'envoy.filters.http.local_ratelimit';
const ALWAYS = { default_value: { numerator: 100, denominator: 'HUNDRED' } };

describe('local rate limit filter', () => {
  let upstream: Upstream;
  let proxy: RunningProxy;
  before(async () => {
    upstream = await startUpstream('web');
    const routeConfig = routes(
      // A route with its own bucket; the rest of the host shares the filter's.
      {
        match: { prefix: '/own' },
        route: { cluster: 'web' },
        typed_per_filter_config: {
          [NAME]: {
            '@type': LOCAL_RATE_LIMIT,
            stat_prefix: 'own_bucket',
            token_bucket: { max_tokens: 1, fill_interval: '60s' },
            filter_enabled: ALWAYS,
            filter_enforced: ALWAYS,
            enable_x_ratelimit_headers: 'DRAFT_VERSION_03',
          },
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
              '@type': LOCAL_RATE_LIMIT,
              stat_prefix: 'http_local_rate_limiter',
              token_bucket: { max_tokens: 3, tokens_per_fill: 3, fill_interval: '1.5s' },
              filter_enabled: ALWAYS,
              filter_enforced: ALWAYS,
              enable_x_ratelimit_headers: 'DRAFT_VERSION_03',
              response_headers_to_add: [{ header: { key: 'x-local-rate-limit', value: 'true' } }],
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

  it('answers the 4th request of a 3-token bucket with 429 and x-ratelimit headers, then refills', async () => {
    const allowed = [];
    for (let i = 0; i < 3; i++) allowed.push(await get(proxy.port(), '/'));
    assert.deepEqual(allowed.map((r) => r.status), [200, 200, 200]);
    assert.deepEqual(allowed.map((r) => r.headers['x-ratelimit-remaining']), ['2', '1', '0']);
    assert.equal(allowed[0]!.headers['x-ratelimit-limit'], '3');

    const limited = await get(proxy.port(), '/');
    assert.equal(limited.status, 429);
    assert.equal(limited.body, 'local_rate_limited');
    assert.equal(limited.headers['x-local-rate-limit'], 'true');
    assert.equal(limited.headers['x-ratelimit-limit'], '3');
    assert.equal(limited.headers['x-ratelimit-remaining'], '0');
    assert.equal(limited.headers['x-ratelimit-reset'], '0'); // a token every 500 ms: under a second
    assert.equal(limited.headers['x-upstream'], undefined);

    await sleep(1600); // one fill_interval and a margin: 3 tokens are back
    const refilled = [];
    for (let i = 0; i < 3; i++) refilled.push((await get(proxy.port(), '/')).status);
    assert.deepEqual(refilled, [200, 200, 200]);
  });

  it('limits a route with its own config from its own bucket', async () => {
    assert.equal((await get(proxy.port(), '/own')).status, 200);
    const limited = await get(proxy.port(), '/own');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['x-ratelimit-limit'], '1');
    assert.equal(limited.headers['x-ratelimit-reset'], '60'); // one token a minute
  });

  it('counts under <stat_prefix>.http_local_rate_limit', async () => {
    const { body } = await admin(proxy.adminPort, '/stats?filter=http_local_rate_limit');
    assert.match(body, /^http_local_rate_limiter\.http_local_rate_limit\.enforced: [1-9]\d*$/m);
    assert.match(body, /^http_local_rate_limiter\.http_local_rate_limit\.ok: [1-9]\d*$/m);
    assert.match(body, /^own_bucket\.http_local_rate_limit\.rate_limited: 1$/m);
  });
});
