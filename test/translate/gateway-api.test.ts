/**
 * Gateway API → xDS with Istio's Bookinfo Gateway API files: an HTTPRoute bound to a Gateway
 * (router proxy listeners and routes) and one bound to a Service (GAMMA: routes for the
 * service's consumers).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadFile } from '../../src/config/load.js';
import type { ConfigResource } from '../../src/model/index.js';
import {
  assertEnvoyResources,
  bookinfoServices,
  bookinfoWorkloads,
  config,
  find,
  proxyOf,
  service,
  snapshotOf,
} from '../../src/translate/fixtures.test.util.js';
import { generate, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from '../../src/translate/index.js';
import { conformancePath, conformanceSkip } from '../support/conformance.js';

type J = Record<string, unknown>;

function load(file: string): ConfigResource[] {
  const loaded = loadFile(conformancePath('istio/bookinfo/gateway-api', file));
  assert.ok(loaded.accepted, loaded.diagnostics.map((d) => d.message).join('; '));
  return loaded.resources.map((r) => r.resource);
}

const http9080 = [{ name: 'http', port: 9080, protocol: 'HTTP' as const }];
const versions = ['v1', 'v2', 'v3'].map((v) => service(`reviews-${v}`, 'default', http9080, { selector: { app: 'reviews', version: v } }));
const productpage = proxyOf('sidecar~10.1.0.1~productpage-v1.default~default.svc.cluster.local', { NAMESPACE: 'default', LABELS: { app: 'productpage' } });

describe('Gateway API with Bookinfo', conformanceSkip(), () => {
  test('Gateway + HTTPRoute: a listener per Gateway listener on the router Istio deploys for it', () => {
    const snapshot = snapshotOf(bookinfoServices(), bookinfoWorkloads('10.1.0.'), load('bookinfo-gateway.yaml'));
    const router = proxyOf('router~10.1.0.50~bookinfo-gateway-istio-6d8f.default~default.svc.cluster.local', {
      NAMESPACE: 'default',
      LABELS: { 'gateway.networking.k8s.io/gateway-name': 'bookinfo-gateway' },
    });
    const lds = generate(snapshot, router, LISTENER_TYPE_URL);
    assertEnvoyResources(LISTENER_TYPE_URL, lds);
    assert.deepEqual(lds.map((l) => l.name), ['0.0.0.0_80']);
    const rds = generate(snapshot, router, ROUTE_TYPE_URL);
    assertEnvoyResources(ROUTE_TYPE_URL, rds);
    const [vh] = find(rds, 'http.80').virtual_hosts as J[];
    assert.deepEqual(vh?.domains, ['*']);
    // Gateway API precedence: exact paths first, then longer prefixes; prefixes match whole segments.
    const routes = vh?.routes as J[];
    assert.deepEqual(routes.map((r) => r.match), [
      { path: '/productpage', case_sensitive: true },
      { path: '/logout', case_sensitive: true },
      { path: '/login', case_sensitive: true },
      { path_separated_prefix: '/api/v1/products', case_sensitive: true },
      { path_separated_prefix: '/static', case_sensitive: true },
    ]);
    const action = routes[0]?.route as J;
    assert.equal(action.cluster, 'outbound|9080||productpage.default.svc.cluster.local');
    assert.equal(action.cluster_not_found_response_code, 'INTERNAL_SERVER_ERROR');
    assert.equal(routes[0]?.name, 'default.bookinfo.0');
    // A router with another gateway's label gets nothing.
    const stranger = proxyOf('router~10.1.0.51~other.default~default.svc.cluster.local', { NAMESPACE: 'default', LABELS: { 'gateway.networking.k8s.io/gateway-name': 'other' } });
    assert.deepEqual(generate(snapshot, stranger, LISTENER_TYPE_URL), []);
  });

  test('HTTPRoute with a Service parent (GAMMA) splits reviews traffic 90/10 for its consumers', () => {
    const snapshot = snapshotOf([...bookinfoServices(), ...versions], bookinfoWorkloads('10.1.0.'), load('route-reviews-90-10.yaml'));
    const rds = generate(snapshot, productpage, ROUTE_TYPE_URL, ['9080']);
    assertEnvoyResources(ROUTE_TYPE_URL, rds);
    const vh = (find(rds, '9080').virtual_hosts as J[]).find((v) => v.name === 'reviews.default.svc.cluster.local:9080');
    const [route] = vh?.routes as J[];
    assert.deepEqual(route?.match, { prefix: '/', case_sensitive: true });
    assert.deepEqual((route?.route as J).weighted_clusters, {
      clusters: [
        { name: 'outbound|9080||reviews-v1.default.svc.cluster.local', weight: 90 },
        { name: 'outbound|9080||reviews-v2.default.svc.cluster.local', weight: 10 },
      ],
    });
  });
});

describe('Gateway API filters', () => {
  test('RequestHeaderModifier, RequestRedirect, URLRewrite, RequestMirror and header/query matches', () => {
    const route = config('HTTPRoute', 'reviews', {
      parentRefs: [{ group: '', kind: 'Service', name: 'reviews', port: 9080 }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/old/' } }],
          filters: [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new' }, statusCode: 301 } }],
        },
        {
          matches: [{ headers: [{ name: 'End-User', value: 'jason' }], queryParams: [{ name: 'v', type: 'RegularExpression', value: '[23]' }] }],
          filters: [
            { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-canary', value: 'yes' }], remove: ['x-debug'] } },
            { type: 'URLRewrite', urlRewrite: { hostname: 'reviews-v2', path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
            { type: 'RequestMirror', requestMirror: { backendRef: { name: 'reviews-v3', port: 9080 }, percent: 25 } },
          ],
          backendRefs: [{ name: 'reviews-v2', port: 9080 }],
        },
      ],
    });
    const snapshot = snapshotOf([...bookinfoServices(), ...versions], bookinfoWorkloads('10.1.0.'), [route]);
    const rds = generate(snapshot, productpage, ROUTE_TYPE_URL, ['9080']);
    assertEnvoyResources(ROUTE_TYPE_URL, rds);
    const vh = (find(rds, '9080').virtual_hosts as J[]).find((v) => v.name === 'reviews.default.svc.cluster.local:9080');
    const routes = vh?.routes as J[];
    assert.deepEqual(routes[0]?.match, { path_separated_prefix: '/old', case_sensitive: true });
    assert.deepEqual(routes[0]?.redirect, { prefix_rewrite: '/new', port_redirect: 9080 });
    const canary = routes[1] ?? {};
    assert.deepEqual(canary.match, {
      prefix: '/',
      case_sensitive: true,
      headers: [{ name: 'end-user', string_match: { exact: 'jason' } }],
      query_parameters: [{ name: 'v', string_match: { safe_regex: { regex: '[23]' } } }],
    });
    assert.deepEqual(canary.request_headers_to_add, [{ header: { key: 'x-canary', value: 'yes' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }]);
    assert.deepEqual(canary.request_headers_to_remove, ['x-debug']);
    const action = canary.route as J;
    assert.equal(action.cluster, 'outbound|9080||reviews-v2.default.svc.cluster.local');
    assert.equal(action.host_rewrite_literal, 'reviews-v2');
    assert.deepEqual(action.regex_rewrite, undefined); // prefix "/" on a "/" match is a plain prefix rewrite
    assert.equal(action.prefix_rewrite, '/');
    assert.deepEqual(action.request_mirror_policies, [
      { cluster: 'outbound|9080||reviews-v3.default.svc.cluster.local', runtime_fraction: { default_value: { numerator: 250000, denominator: 'MILLION' } }, trace_sampled: false },
    ]);
  });

  test('a GAMMA route for a service in another namespace only applies to consumers in the route namespace', () => {
    const route = config('HTTPRoute', 'to-reviews', { parentRefs: [{ group: '', kind: 'Service', name: 'reviews', namespace: 'default', port: 9080 }], rules: [{ backendRefs: [{ name: 'reviews-v3', namespace: 'default', port: 9080 }] }] }, { namespace: 'consumer' });
    const snapshot = snapshotOf([...bookinfoServices(), ...versions], bookinfoWorkloads('10.1.0.'), [route]);
    const cluster = (proxy: typeof productpage) => {
      const vh = (find(generate(snapshot, proxy, ROUTE_TYPE_URL, ['9080']), '9080').virtual_hosts as J[]).find((v) => v.name === 'reviews.default.svc.cluster.local:9080');
      return ((vh?.routes as J[])[0]?.route as J).cluster;
    };
    assert.equal(cluster(productpage), 'outbound|9080||reviews.default.svc.cluster.local');
    const consumer = proxyOf('sidecar~10.3.0.1~c.consumer~consumer.svc.cluster.local', { NAMESPACE: 'consumer' });
    assert.equal(cluster(consumer), 'outbound|9080||reviews-v3.default.svc.cluster.local');
  });

  test('GRPCRoute methods become gRPC paths', () => {
    const grpc = service('echo', 'default', [{ name: 'grpc', port: 7070, protocol: 'GRPC' }]);
    const route = config('GRPCRoute', 'echo', {
      parentRefs: [{ group: '', kind: 'Service', name: 'echo' }],
      rules: [
        { matches: [{ method: { service: 'echo.Echo', method: 'Ping' } }], backendRefs: [{ name: 'echo', port: 7070 }] },
        { matches: [{ method: { service: 'echo.Echo' } }], backendRefs: [{ name: 'echo', port: 7070 }] },
      ],
    });
    const rds = generate(snapshotOf([grpc], [], [route]), productpage, ROUTE_TYPE_URL, ['7070']);
    assertEnvoyResources(ROUTE_TYPE_URL, rds);
    const vh = (find(rds, '7070').virtual_hosts as J[]).find((v) => v.name === 'echo.default.svc.cluster.local:7070');
    assert.deepEqual((vh?.routes as J[]).map((r) => r.match), [
      { path: '/echo.Echo/Ping', case_sensitive: true },
      { path_separated_prefix: '/echo.Echo', case_sensitive: true },
    ]);
  });
});
