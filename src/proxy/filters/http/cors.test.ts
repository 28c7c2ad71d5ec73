import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registerBuiltinFilters } from '../builtin.js';
import { compileErrors, singleHost } from '../../router/test-support.js';
import { StatsStore } from '../../stats/stats.js';
import { corsFilterFactory } from './cors.js';
import { filterMaker, routeTable, TestStream } from './test-stream.test.util.js';

const NAME = 'envoy.filters.http.cors';
const POLICY = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';

const policy = {
  allow_origin_string_match: [{ exact: 'https://app.example' }, { suffix: '.trusted.example' }],
  allow_methods: 'GET, PUT',
  allow_headers: 'x-custom',
  expose_headers: 'x-trace',
  max_age: '600',
  allow_credentials: true,
};

function setup(routes: unknown[], hostExtra: object = {}) {
  const store = new StatsStore();
  const make = filterMaker(corsFilterFactory, {}, NAME, store.root());
  const table = routeTable(routes, hostExtra);
  const stat = (name: string) => (store.stats.get(`http.test.cors.${name}`) as { value: number }).value;
  /** Runs one request through the filter and, unless answered locally, a 200 response. */
  const exchange = (method: string, headers: string[], path = '/') => {
    const stream = new TestStream(table, { method, headers, path });
    const filter = make();
    stream.encoders = [filter];
    const status = filter.decodeHeaders(stream.http);
    if (status === 'stop') return { status, reply: stream.localReply!, response: undefined };
    return { status, reply: undefined, response: stream.encode({ status: 200, headers: [], contentLength: 0 }).headers };
  };
  return { exchange, stat };
}

const withPolicy = (extra: object = {}) => [
  {
    match: { prefix: '/' },
    route: { cluster: 'web' },
    typed_per_filter_config: { [NAME]: { '@type': POLICY, ...policy, ...extra } },
  },
];

const preflight = (origin: string, extra: string[] = []) => [
  'origin',
  origin,
  'access-control-request-method',
  'PUT',
  ...extra,
];

describe('CORS filter', () => {
  it('answers an allowed preflight itself with 200 and the allow headers', () => {
    const { exchange, stat } = setup(withPolicy());
    const { status, reply } = exchange('OPTIONS', preflight('https://app.example'));
    assert.equal(status, 'stop');
    assert.equal(reply?.status, 200);
    assert.equal(reply?.details, 'cors_response');
    assert.deepEqual(reply?.headers, [
      'access-control-allow-origin',
      'https://app.example',
      'access-control-allow-credentials',
      'true',
      'access-control-allow-methods',
      'GET, PUT',
      'access-control-allow-headers',
      'x-custom',
      'access-control-max-age',
      '600',
      // The filter's own encodeHeaders runs on its reply too, as in Envoy.
      'access-control-expose-headers',
      'x-trace',
    ]);
    assert.equal(stat('origin_valid'), 1);
  });

  it('forwards a preflight from an origin it does not allow, unless forward_not_matching_preflights is false', () => {
    const forwarded = setup(withPolicy());
    const result = forwarded.exchange('OPTIONS', preflight('https://evil.example'));
    assert.equal(result.status, 'continue');
    assert.deepEqual(result.response, []);
    assert.equal(forwarded.stat('origin_invalid'), 1);

    const answered = setup(withPolicy({ forward_not_matching_preflights: false }));
    const { reply } = answered.exchange('OPTIONS', preflight('https://evil.example'));
    assert.equal(reply?.status, 200);
    assert.ok(!reply?.headers.includes('access-control-allow-origin'));
  });

  it('adds allow-origin, allow-credentials and expose-headers to the response of an allowed actual request', () => {
    const { exchange } = setup(withPolicy());
    assert.deepEqual(exchange('GET', ['origin', 'https://api.trusted.example']).response, [
      'access-control-allow-origin',
      'https://api.trusted.example',
      'access-control-allow-credentials',
      'true',
      'access-control-expose-headers',
      'x-trace',
    ]);
    assert.deepEqual(exchange('GET', ['origin', 'https://evil.example']).response, []);
    assert.deepEqual(exchange('GET', []).response, []);
  });

  it('echoes the requested method and headers for "*" and answers private network access', () => {
    const { exchange } = setup(withPolicy({ allow_methods: '*', allow_headers: '*', allow_private_network_access: true }));
    const { reply } = exchange(
      'OPTIONS',
      preflight('https://app.example', [
        'access-control-request-headers',
        'x-a, x-b',
        'access-control-request-private-network',
        'true',
      ]),
    );
    const headers = reply!.headers;
    assert.equal(headers[headers.indexOf('access-control-allow-methods') + 1], 'PUT');
    assert.equal(headers[headers.indexOf('access-control-allow-headers') + 1], 'x-a, x-b');
    assert.equal(headers[headers.indexOf('access-control-allow-private-network') + 1], 'true');
  });

  it('allows every origin when a matcher accepts "*"', () => {
    const { exchange } = setup(withPolicy({ allow_origin_string_match: [{ exact: '*' }] }));
    assert.equal(exchange('GET', ['origin', 'https://any.example']).response?.[1], 'https://any.example');
  });

  it('does nothing at 0 % filter_enabled, and only counts in shadow mode', () => {
    const off = { default_value: { numerator: 0 } };
    const disabled = setup(withPolicy({ filter_enabled: off }));
    assert.deepEqual(disabled.exchange('GET', ['origin', 'https://app.example']).response, []);
    const shadow = setup(withPolicy({ filter_enabled: off, shadow_enabled: { default_value: { numerator: 100 } } }));
    assert.equal(shadow.exchange('OPTIONS', preflight('https://app.example')).status, 'continue');
    assert.equal(shadow.stat('origin_valid'), 1);
  });

  it('takes each field from the most specific policy that sets it, across route and virtual host', () => {
    const routes = [
      {
        match: { prefix: '/' },
        route: { cluster: 'web' },
        typed_per_filter_config: { [NAME]: { '@type': POLICY, allow_methods: 'DELETE' } },
      },
    ];
    const { exchange } = setup(routes, { typed_per_filter_config: { [NAME]: { '@type': POLICY, ...policy } } });
    const headers = exchange('OPTIONS', preflight('https://app.example')).reply!.headers;
    assert.equal(headers[headers.indexOf('access-control-allow-methods') + 1], 'DELETE');
    assert.equal(headers[headers.indexOf('access-control-max-age') + 1], '600');
  });

  it('falls back to the deprecated route and virtual host cors fields only without typed policies', () => {
    const legacy = [{ match: { prefix: '/' }, route: { cluster: 'web', cors: { allow_methods: 'POST' } } }];
    const { exchange } = setup(legacy, { cors: policy });
    const headers = exchange('OPTIONS', preflight('https://app.example')).reply!.headers;
    assert.equal(headers[headers.indexOf('access-control-allow-methods') + 1], 'POST');
    assert.equal(headers[headers.indexOf('access-control-allow-origin') + 1], 'https://app.example');

    const typed = setup(withPolicy({ allow_methods: 'PATCH' }), { cors: { allow_methods: 'POST' } });
    const typedHeaders = typed.exchange('OPTIONS', preflight('https://app.example')).reply!.headers;
    assert.equal(typedHeaders[typedHeaders.indexOf('access-control-allow-methods') + 1], 'PATCH');
  });

  it('leaves routes that do not forward alone', () => {
    const { exchange } = setup([
      {
        match: { prefix: '/' },
        direct_response: { status: 204 },
        typed_per_filter_config: { [NAME]: { '@type': POLICY, ...policy } },
      },
    ]);
    assert.equal(exchange('OPTIONS', preflight('https://app.example')).status, 'continue');
  });

  it('rejects an invalid policy when the route configuration is compiled', () => {
    registerBuiltinFilters();
    const errors = compileErrors(
      singleHost([{ match: { prefix: '/' }, route: { cluster: 'web', cors: { allow_origin_string_match: [{ safe_regex: { regex: '(' } }] } } }]),
    );
    assert.deepEqual(
      errors.map((e) => e.path.join('.')),
      ['virtual_hosts.0.routes.0.route.cors.allow_origin_string_match.0.safe_regex.regex'],
    );
  });
});
