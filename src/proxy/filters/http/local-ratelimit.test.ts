import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registerBuiltinFilters } from '../builtin.js';
import { compileErrors, singleHost } from '../../router/test-support.js';
import { StatsStore } from '../../stats/stats.js';
import { localRateLimitFilterFactory } from './local-ratelimit.js';
import { filterErrors, filterMaker, routeTable, TestStream } from './test-stream.test.util.js';

const NAME = 'envoy.filters.http.local_ratelimit';
const TYPE = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
const ALWAYS = { default_value: { numerator: 100 } };

function setup(config: object, routes?: unknown[]) {
  const store = new StatsStore();
  const make = filterMaker(localRateLimitFilterFactory, { stat_prefix: 'rl', ...config }, NAME, store.root());
  const table = routeTable(routes ?? [{ match: { prefix: '/' }, route: { cluster: 'web' } }]);
  const stat = (prefix: string, name: string) =>
    (store.stats.get(`${prefix}.http_local_rate_limit.${name}`) as { value: number } | undefined)?.value ?? 0;
  const exchange = (fields: { path?: string; headers?: string[] } = {}, socket: object = {}) => {
    const stream = new TestStream(table, fields, socket);
    const filter = make();
    stream.encoders = [filter];
    const status = filter.decodeHeaders(stream.http);
    const response =
      status === 'stop' ? stream.localReply! : { ...stream.encode({ status: 200, headers: [], contentLength: 0 }), body: '' };
    return { status, response, stream };
  };
  return { exchange, stat };
}

const bucket = (max: number) => ({ max_tokens: max, tokens_per_fill: 1, fill_interval: '60s' });

describe('local rate limit filter', () => {
  it('answers 429 local_rate_limited with flag RL once the bucket is empty, and counts', () => {
    const { exchange, stat } = setup({
      token_bucket: bucket(2),
      filter_enabled: ALWAYS,
      filter_enforced: ALWAYS,
      response_headers_to_add: [{ header: { key: 'x-local-rate-limit', value: 'true' } }],
    });
    assert.deepEqual([1, 2].map(() => exchange().status), ['continue', 'continue']);
    const { status, response, stream } = exchange();
    assert.equal(status, 'stop');
    assert.equal(response.status, 429);
    assert.equal(response.body, 'local_rate_limited');
    assert.deepEqual(response.headers, ['x-local-rate-limit', 'true']);
    assert.deepEqual(stream.responseFlags, ['RL']);
    assert.equal(stream.responseCodeDetails, 'local_rate_limited');
    assert.deepEqual(['enabled', 'ok', 'rate_limited', 'enforced'].map((s) => stat('rl', s)), [3, 2, 1, 1]);
  });

  it('is off when filter_enabled is unset (Envoy defaults it to 0 %)', () => {
    const { exchange, stat } = setup({ token_bucket: bucket(1), filter_enforced: ALWAYS });
    assert.deepEqual([1, 2, 3].map(() => exchange().status), ['continue', 'continue', 'continue']);
    assert.equal(stat('rl', 'enabled'), 0);
  });

  it('forwards with request_headers_to_add_when_not_enforced when enabled but not enforced', () => {
    const { exchange, stat } = setup({
      token_bucket: bucket(1),
      filter_enabled: ALWAYS,
      request_headers_to_add_when_not_enforced: [{ header: { key: 'x-rate-limited', value: 'true' } }],
    });
    assert.deepEqual(exchange().stream.headers, []);
    const limited = exchange();
    assert.equal(limited.status, 'continue');
    assert.deepEqual(limited.stream.headers, ['x-rate-limited', 'true']);
    assert.equal(stat('rl', 'rate_limited'), 1);
    assert.equal(stat('rl', 'enforced'), 0);
  });

  it('uses status when it is an error code, else 429', () => {
    const limited = (status: string) => {
      const { exchange } = setup({ token_bucket: bucket(1), filter_enabled: ALWAYS, filter_enforced: ALWAYS, status: { code: status } });
      exchange();
      return exchange().response.status;
    };
    assert.equal(limited('ServiceUnavailable'), 503);
    assert.equal(limited('OK'), 429);
  });

  it('adds x-ratelimit-limit, -remaining and -reset with DRAFT_VERSION_03', () => {
    const { exchange } = setup({
      token_bucket: { max_tokens: 2, tokens_per_fill: 1, fill_interval: '3s' },
      filter_enabled: ALWAYS,
      filter_enforced: ALWAYS,
      enable_x_ratelimit_headers: 'DRAFT_VERSION_03',
    });
    const header = (headers: readonly string[], name: string) => headers[headers.indexOf(name) + 1];
    const first = exchange().response.headers;
    assert.deepEqual(['limit', 'remaining', 'reset'].map((n) => header(first, `x-ratelimit-${n}`)), ['2', '1', '0']);
    exchange();
    const limited = exchange().response;
    assert.equal(limited.status, 429);
    assert.deepEqual(['limit', 'remaining', 'reset'].map((n) => header(limited.headers, `x-ratelimit-${n}`)), ['2', '0', '3']);
  });

  it('keeps a bucket per downstream connection with local_rate_limit_per_downstream_connection', () => {
    const { exchange } = setup({
      token_bucket: bucket(1),
      filter_enabled: ALWAYS,
      filter_enforced: ALWAYS,
      local_rate_limit_per_downstream_connection: true,
    });
    const a = {};
    const b = {};
    assert.equal(exchange({}, a).status, 'continue');
    assert.equal(exchange({}, a).status, 'stop');
    assert.equal(exchange({}, b).status, 'continue');
  });

  it('gives a route with its own typed_per_filter_config its own bucket and stats', () => {
    const routes = [
      {
        match: { prefix: '/limited' },
        route: { cluster: 'web' },
        typed_per_filter_config: {
          [NAME]: {
            '@type': TYPE,
            stat_prefix: 'route_rl',
            token_bucket: bucket(1),
            filter_enabled: ALWAYS,
            filter_enforced: ALWAYS,
          },
        },
      },
      { match: { prefix: '/' }, route: { cluster: 'web' } },
    ];
    const { exchange, stat } = setup({}, routes);
    assert.equal(exchange({ path: '/limited' }).status, 'continue');
    assert.equal(exchange({ path: '/limited' }).status, 'stop');
    assert.equal(exchange({ path: '/free' }).status, 'continue');
    assert.equal(stat('route_rl', 'rate_limited'), 1);
  });

  it('answers a gRPC request with RESOURCE_EXHAUSTED when rate_limited_as_resource_exhausted', () => {
    const { exchange } = setup({
      token_bucket: bucket(1),
      filter_enabled: ALWAYS,
      filter_enforced: ALWAYS,
      rate_limited_as_resource_exhausted: true,
    });
    const grpc = { headers: ['content-type', 'application/grpc'] };
    exchange(grpc);
    const { response } = exchange(grpc);
    assert.equal(response.status, 200);
    assert.equal(response.headers[response.headers.indexOf('grpc-status') + 1], '8');
  });

  it('rejects descriptors, a fill_interval under 50 ms, and a per-route config without a token bucket', () => {
    const messages = (json: object) =>
      filterErrors(localRateLimitFilterFactory, { stat_prefix: 'rl', ...json }).map((e) => `${e.path.join('.')}: ${e.message}`);
    assert.deepEqual(messages({ descriptors: [{ entries: [{ key: 'a', value: 'b' }], token_bucket: bucket(1) }] }), [
      "descriptors: field 'descriptors' is not supported by Skein yet",
    ]);
    assert.deepEqual(messages({ token_bucket: { max_tokens: 1, fill_interval: '0.01s' } }), [
      'token_bucket.fill_interval: local rate limit token bucket fill timer must be >= 50ms',
    ]);
    registerBuiltinFilters();
    const errors = compileErrors(
      singleHost([
        { match: { prefix: '/' }, route: { cluster: 'web' }, typed_per_filter_config: { [NAME]: { '@type': TYPE, stat_prefix: 'r' } } },
      ]),
    );
    assert.deepEqual(errors.map((e) => e.message), ['local rate limit token bucket must be set for per filter configs']);
  });
});
