import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConfigResource, MeshConfig, VirtualServiceSpec } from '../model/index.js';
import { meshConfigWithDefaults } from '../model/index.js';
import { assertEnvoyResources, bookinfoServices, bookinfoWorkloads, config, find, proxyOf, snapshotOf } from './fixtures.test.util.js';
import { generate, ROUTE_TYPE_URL } from './index.js';

type J = Record<string, unknown>;
const PRODUCTPAGE = proxyOf('sidecar~10.1.0.1~productpage-v1.default~default.svc.cluster.local', {
  NAMESPACE: 'default',
  LABELS: { app: 'productpage', version: 'v1' },
});
const REVIEWS_DR = config('DestinationRule', 'reviews', {
  host: 'reviews',
  subsets: ['v1', 'v2', 'v3'].map((v) => ({ name: v, labels: { version: v } })),
});

function routeConfig(configs: ConfigResource[], name = '9080', mesh?: MeshConfig, proxy = PRODUCTPAGE): J {
  const snapshot = snapshotOf(bookinfoServices(), bookinfoWorkloads('10.1.0.'), [REVIEWS_DR, ...configs], mesh);
  const routes = generate(snapshot, proxy, ROUTE_TYPE_URL, [name]);
  assertEnvoyResources(ROUTE_TYPE_URL, routes);
  return find(routes, name);
}

function reviewsRoutes(http: VirtualServiceSpec['http'], extra: Partial<VirtualServiceSpec> = {}): J[] {
  const rc = routeConfig([config('VirtualService', 'reviews', { hosts: ['reviews'], http, ...extra })]);
  const vh = (rc.virtual_hosts as J[]).find((v) => v.name === 'reviews.default.svc.cluster.local:9080');
  assert.ok(vh);
  return vh.routes as J[];
}

const action = (r: J | undefined) => (r?.route ?? {}) as J;

describe('RDS: sidecar virtual hosts', () => {
  test('every domain form of a service, ports ignored, catch-all allow_any', () => {
    const rc = routeConfig([]);
    assert.equal(rc.ignore_port_in_host_matching, true);
    const hosts = rc.virtual_hosts as J[];
    assert.deepEqual(
      hosts.map((h) => h.name),
      [
        'details.default.svc.cluster.local:9080',
        'productpage.default.svc.cluster.local:9080',
        'ratings.default.svc.cluster.local:9080',
        'reviews.default.svc.cluster.local:9080',
        'allow_any',
      ],
    );
    assert.deepEqual(hosts[3]?.domains, [
      'reviews.default.svc.cluster.local',
      'reviews.default.svc.cluster.local.',
      'reviews',
      'reviews.default.svc',
      'reviews.default',
    ]);
    const route = (hosts[3]?.routes as J[])[0];
    assert.equal(route?.name, 'default');
    assert.deepEqual(action(route).cluster, 'outbound|9080||reviews.default.svc.cluster.local');
    assert.equal(action(route).timeout, '0s');
    assert.deepEqual(action(route).retry_policy, {
      retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
      num_retries: 2,
      retry_host_predicate: [
        {
          name: 'envoy.retry_host_predicates.previous_hosts',
          typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' },
        },
      ],
      host_selection_retry_max_attempts: '5',
    });
  });

  test('a proxy in another namespace gets name.namespace forms but no short name', () => {
    const other = proxyOf('sidecar~10.2.0.1~client.other~other.svc.cluster.local', { NAMESPACE: 'other' });
    const hosts = routeConfig([], '9080', undefined, other).virtual_hosts as J[];
    assert.deepEqual(hosts.find((h) => h.name === 'reviews.default.svc.cluster.local:9080')?.domains, [
      'reviews.default.svc.cluster.local',
      'reviews.default.svc.cluster.local.',
      'reviews.default',
      'reviews.default.svc',
    ]);
  });

  test('REGISTRY_ONLY gives the block_all virtual host answering 502', () => {
    const rc = routeConfig([], '9080', meshConfigWithDefaults({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }));
    assert.deepEqual((rc.virtual_hosts as J[]).at(-1), {
      name: 'block_all',
      domains: ['*'],
      routes: [{ name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } }],
    });
  });

  test('http_proxy: every service port as host:port, port matching kept', () => {
    const rc = routeConfig([], 'http_proxy');
    assert.equal(rc.ignore_port_in_host_matching, undefined);
    const reviews = (rc.virtual_hosts as J[]).find((h) => h.name === 'reviews.default.svc.cluster.local:9080');
    assert.deepEqual(reviews?.domains, [
      'reviews.default.svc.cluster.local:9080',
      'reviews.default.svc.cluster.local.:9080',
      'reviews:9080',
      'reviews.default.svc:9080',
      'reviews.default:9080',
    ]);
  });
});

describe('RDS: VirtualService HTTP routes', () => {
  test('ordered matches: uri, headers, query, method, authority, withoutHeaders, ignoreUriCase', () => {
    const routes = reviewsRoutes([
      {
        match: [
          {
            uri: { regex: '/reviews/[0-9]+' },
            headers: { 'x-b': { prefix: 'b' }, 'x-a': {} },
            queryParams: { debug: { exact: '1' } },
            method: { exact: 'GET' },
            authority: { prefix: 'reviews' },
            withoutHeaders: { 'x-skip': { exact: 'yes' } },
            ignoreUriCase: true,
          },
        ],
        route: [{ destination: { host: 'reviews', subset: 'v3' } }],
      },
      { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
    ]);
    assert.deepEqual(routes[0]?.match, {
      safe_regex: { regex: '/reviews/[0-9]+' },
      case_sensitive: false,
      headers: [
        { name: 'x-a', present_match: true },
        { name: 'x-b', string_match: { prefix: 'b' } },
        { name: 'x-skip', string_match: { exact: 'yes' }, invert_match: true, treat_missing_header_as_empty: true },
        { name: ':method', string_match: { exact: 'GET' } },
        { name: ':authority', string_match: { prefix: 'reviews' } },
      ],
      query_parameters: [{ name: 'debug', string_match: { exact: '1' } }],
    });
    assert.equal(action(routes[0]).cluster, 'outbound|9080|v3|reviews.default.svc.cluster.local');
    assert.equal(routes.length, 2);
  });

  test('routes after a catch-all are dropped; port and sourceLabels filter matches', () => {
    const routes = reviewsRoutes([
      { match: [{ port: 9999, uri: { prefix: '/a' } }, { sourceLabels: { app: 'ratings' } }, { uri: { exact: '/x' } }], route: [{ destination: { host: 'reviews' } }] },
      { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
      { route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
    ]);
    assert.deepEqual(routes.map((r) => (r.match as J).path ?? (r.match as J).prefix), ['/x', '/']);
  });

  test('weighted subsets, header operations and host rewrite', () => {
    const routes = reviewsRoutes([
      {
        headers: { request: { set: { 'x-set': '1', ':authority': 'ignored' }, add: { 'x-add': '2' }, remove: ['x-gone'] }, response: { remove: ['server'] } },
        route: [
          { destination: { host: 'reviews', subset: 'v1' }, weight: 80, headers: { request: { set: { host: 'v1.internal' } } } },
          { destination: { host: 'reviews', subset: 'v3' }, weight: 20 },
          { destination: { host: 'reviews', subset: 'v2' }, weight: 0 },
        ],
      },
    ]);
    const r = routes[0] ?? {};
    assert.deepEqual(r.request_headers_to_add, [
      { header: { key: 'x-set', value: '1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
      { header: { key: 'x-add', value: '2' } },
    ]);
    assert.deepEqual(r.request_headers_to_remove, ['x-gone']);
    assert.deepEqual(r.response_headers_to_remove, ['server']);
    assert.equal(action(r).host_rewrite_literal, 'ignored');
    assert.deepEqual(action(r).weighted_clusters, {
      clusters: [
        { name: 'outbound|9080|v1|reviews.default.svc.cluster.local', weight: 80, host_rewrite_literal: 'v1.internal' },
        { name: 'outbound|9080|v3|reviews.default.svc.cluster.local', weight: 20 },
      ],
    });
  });

  test('rewrite, timeout, retries', () => {
    const [r] = reviewsRoutes([
      {
        rewrite: { uri: '/v2/', authority: 'reviews.v2' },
        timeout: '0.5s',
        retries: { attempts: 3, perTryTimeout: '2s', retryOn: 'gateway-error,503,connect-failure', retryIgnorePreviousHosts: false },
        route: [{ destination: { host: 'reviews' } }],
      },
    ]);
    const a = action(r);
    assert.equal(a.prefix_rewrite, '/v2/');
    assert.equal(a.host_rewrite_literal, 'reviews.v2');
    assert.equal(a.timeout, '0.500s');
    assert.deepEqual(a.retry_policy, {
      retry_on: 'gateway-error,connect-failure,retriable-status-codes',
      num_retries: 3,
      host_selection_retry_max_attempts: '5',
      retriable_status_codes: [503],
      per_try_timeout: '2s',
    });
    const [noRetry] = reviewsRoutes([{ retries: { attempts: 0 }, rewrite: { uriRegexRewrite: { match: '^/r/(.*)', rewrite: '/\\1' } }, route: [{ destination: { host: 'reviews' } }] }]);
    assert.equal(action(noRetry).retry_policy, undefined);
    assert.deepEqual(action(noRetry).regex_rewrite, { pattern: { regex: '^/r/(.*)' }, substitution: '/\\1' });
  });

  test('redirect and direct response', () => {
    const routes = reviewsRoutes([
      { match: [{ uri: { exact: '/old' } }], redirect: { uri: '/new', authority: 'example.com', redirectCode: 308, port: 8443, scheme: 'https' } },
      { match: [{ uri: { exact: '/here' } }], redirect: { uri: '/there', derivePort: 'FROM_REQUEST_PORT' } },
      { directResponse: { status: 418, body: { string: 'teapot' } } },
    ]);
    assert.deepEqual(routes[0]?.redirect, { host_redirect: 'example.com', path_redirect: '/new', scheme_redirect: 'https', port_redirect: 8443, response_code: 'PERMANENT_REDIRECT' });
    assert.deepEqual(routes[1]?.redirect, { path_redirect: '/there', port_redirect: 9080 });
    assert.deepEqual(routes[2]?.direct_response, { status: 418, body: { inline_string: 'teapot' } });
  });

  test('fault, CORS and mirrors as Istio writes them', () => {
    const [r] = reviewsRoutes([
      {
        fault: { delay: { fixedDelay: '7s', percentage: { value: 100 } }, abort: { httpStatus: 500, percentage: { value: 0.1 } } },
        corsPolicy: { allowOrigins: [{ exact: 'https://a.example' }, { regex: '.*\\.b\\.example' }], allowMethods: ['GET', 'POST'], maxAge: '24h', allowCredentials: true },
        mirror: { host: 'ratings' },
        mirrorPercentage: { value: 50 },
        mirrors: [{ destination: { host: 'details', subset: 'v2' } }],
        route: [{ destination: { host: 'reviews' } }],
      },
    ]);
    assert.deepEqual(r?.typed_per_filter_config, {
      'envoy.filters.http.fault': {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
        delay: { fixed_delay: '7s', percentage: { numerator: 1000000, denominator: 'MILLION' } },
        abort: { http_status: 500, percentage: { numerator: 1000, denominator: 'MILLION' } },
      },
      'envoy.filters.http.cors': {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
        allow_origin_string_match: [{ exact: 'https://a.example' }, { safe_regex: { regex: '.*\\.b\\.example' } }],
        allow_methods: 'GET,POST',
        max_age: '86400',
        allow_credentials: true,
        filter_enabled: { default_value: { numerator: 100 } },
        forward_not_matching_preflights: true,
      },
    });
    assert.deepEqual(action(r).request_mirror_policies, [
      { cluster: 'outbound|9080||ratings.default.svc.cluster.local', runtime_fraction: { default_value: { numerator: 500000, denominator: 'MILLION' } }, trace_sampled: false },
      { cluster: 'outbound|9080|v2|details.default.svc.cluster.local', runtime_fraction: { default_value: { numerator: 100 } }, trace_sampled: false },
    ]);
  });

  test('consistent hash from the DestinationRule becomes the route hash policy, without previous-hosts retries', () => {
    const dr = config('DestinationRule', 'ratings', { host: 'ratings', trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: 'user', ttl: '0s' } } } } });
    const vs = config('VirtualService', 'ratings', { hosts: ['ratings'], http: [{ route: [{ destination: { host: 'ratings' } }] }] });
    const vh = (routeConfig([dr, vs]).virtual_hosts as J[]).find((v) => v.name === 'ratings.default.svc.cluster.local:9080');
    const a = action((vh?.routes as J[])[0]);
    assert.deepEqual(a.hash_policy, [{ cookie: { name: 'user', ttl: '0s' } }]);
    assert.equal((a.retry_policy as J).retry_host_predicate, undefined);
  });

  test('delegate VirtualServices merge into the root route', () => {
    const root = config('VirtualService', 'reviews', {
      hosts: ['reviews'],
      http: [{ name: 'root', match: [{ uri: { prefix: '/reviews' } }], timeout: '3s', delegate: { name: 'reviews-delegate' } }],
    });
    const leaf = config('VirtualService', 'reviews-delegate', {
      http: [
        { name: 'jason', match: [{ uri: { prefix: '/reviews/1' }, headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
        { name: 'bad', match: [{ uri: { prefix: '/other' } }], route: [{ destination: { host: 'reviews', subset: 'v3' } }] },
        { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
      ],
    });
    const vh = (routeConfig([root, leaf]).virtual_hosts as J[]).find((v) => v.name === 'reviews.default.svc.cluster.local:9080');
    const routes = vh?.routes as J[];
    // The conflicting `/other` route is dropped; the rest inherit the root match and timeout.
    assert.deepEqual(routes.map((r) => [r.name, (r.match as J).prefix, action(r).cluster, action(r).timeout]), [
      ['root-jason', '/reviews/1', 'outbound|9080|v2|reviews.default.svc.cluster.local', '3s'],
      ['root', '/reviews', 'outbound|9080|v1|reviews.default.svc.cluster.local', '3s'],
    ]);
  });

  test('two VirtualServices for one host on a sidecar: the oldest wins', () => {
    const older = config('VirtualService', 'b-old', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }] }, { creationTimestamp: '2024-01-01T00:00:00Z' });
    const newer = config('VirtualService', 'a-new', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v2' } }] }] }, { creationTimestamp: '2024-06-01T00:00:00Z' });
    const vh = (routeConfig([newer, older]).virtual_hosts as J[]).find((v) => v.name === 'reviews.default.svc.cluster.local:9080');
    assert.equal(action((vh?.routes as J[])[0]).cluster, 'outbound|9080|v1|reviews.default.svc.cluster.local');
  });

  test('a VirtualService host outside the registry gets its own virtual host', () => {
    const vs = config('VirtualService', 'ext', { hosts: ['www.example.com'], http: [{ route: [{ destination: { host: 'details', port: { number: 9080 } } }] }] });
    const hosts = routeConfig([vs], '80').virtual_hosts as J[];
    assert.deepEqual(hosts[0]?.name, 'www.example.com:80');
    assert.deepEqual(hosts[0]?.domains, ['www.example.com']);
  });

  test('proxies sharing a snapshot get their own routes when sourceLabels tell them apart', () => {
    const vs = config('VirtualService', 'reviews', {
      hosts: ['reviews'],
      http: [
        { match: [{ sourceLabels: { app: 'ratings' } }], route: [{ destination: { host: 'reviews', subset: 'v3' } }] },
        { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
      ],
    });
    const snapshot = snapshotOf(bookinfoServices(), bookinfoWorkloads('10.1.0.'), [REVIEWS_DR, vs]);
    const clusterFor = (labels: Record<string, string>, ip: string) => {
      const proxy = proxyOf(`sidecar~${ip}~p.default~default.svc.cluster.local`, { NAMESPACE: 'default', LABELS: labels });
      const vh = (find(generate(snapshot, proxy, ROUTE_TYPE_URL, ['9080']), '9080').virtual_hosts as J[]).find((v) => v.name === 'reviews.default.svc.cluster.local:9080');
      return action((vh?.routes as J[])[0]).cluster;
    };
    assert.equal(clusterFor({ app: 'productpage' }, '10.1.0.1'), 'outbound|9080|v1|reviews.default.svc.cluster.local');
    assert.equal(clusterFor({ app: 'ratings' }, '10.1.0.6'), 'outbound|9080|v3|reviews.default.svc.cluster.local');
    assert.equal(clusterFor({ app: 'productpage' }, '10.1.0.9'), 'outbound|9080|v1|reviews.default.svc.cluster.local');
  });
});
