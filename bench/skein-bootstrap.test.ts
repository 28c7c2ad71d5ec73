import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { EnvoyConfigChecker, loadEnvoyProtos } from './envoy-proto-check.js';
import {
  BENCH_CLUSTER,
  clusterScaleBootstrap,
  MISROUTE_CLUSTER,
  realisticBootstrap,
} from './skein-bootstrap.js';
import { BENCH_HOST, ROUTE_HEADER, ROUTE_HEADER_VALUE, TARGET_VIRTUAL_HOST } from './workload.js';

const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';
const PORTS = { listenPorts: [15001], adminPort: 15000, originPort: 18080, closedPort: 18081 };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking generated JSON in assertions
type Any = any;

describe('Skein benchmark bootstraps', () => {
  let checker: () => EnvoyConfigChecker;
  before(() => {
    const root = loadEnvoyProtos([
      'envoy/config/bootstrap/v3/bootstrap.proto',
      'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
      'envoy/extensions/filters/http/router/v3/router.proto',
      'envoy/extensions/filters/http/fault/v3/fault.proto',
      'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
    ]);
    checker = () => new EnvoyConfigChecker(root);
  });

  it('the realistic bootstrap is valid Envoy v3, also after a YAML round trip', () => {
    const bootstrap = realisticBootstrap(PORTS);
    assert.deepEqual(checker().check(BOOTSTRAP, bootstrap), []);
    assert.deepEqual(checker().check(BOOTSTRAP, parse(stringify(bootstrap))), []);
  });

  it('the resilience variant is valid Envoy v3 and carries retries, outlier detection and the fault filter', () => {
    const bootstrap: Any = realisticBootstrap(PORTS, { resilience: true });
    assert.deepEqual(checker().check(BOOTSTRAP, bootstrap), []);
    const hcm = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    assert.equal(hcm.http_filters[0].name, 'envoy.filters.http.fault');
    assert.equal(hcm.route_config.virtual_hosts[0].routes[0].route.retry_policy.num_retries, 2);
    assert.equal(bootstrap.static_resources.clusters[0].outlier_detection.consecutive_5xx, 5);
  });

  it('the chained and cluster-scale bootstraps are valid Envoy v3', () => {
    const chain = realisticBootstrap({ ...PORTS, listenPorts: [15001, 15002, 15003, 15004] });
    assert.deepEqual(checker().check(BOOTSTRAP, chain), []);
    const scale = clusterScaleBootstrap({ listenPort: 15001, adminPort: 15000 }, 20, 10);
    assert.deepEqual(checker().check(BOOTSTRAP, scale), []);
  });

  it('the checker catches wrong field names, kinds and missing required parts', () => {
    const bad: Any = realisticBootstrap(PORTS);
    const listener = bad.static_resources.listeners[0];
    listener.filter_chains[0].filters[0].typed_config.routeConfig = {};
    bad.static_resources.clusters[0].connect_timeout = 1;
    bad.static_resources.clusters[1].type = 'STATICK';
    delete bad.static_resources.clusters[2].name;
    const routes = listener.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes;
    routes[0].match = { prefix: '/', path: '/x' };
    delete routes[1].route;
    const problems = checker().check(BOOTSTRAP, bad).join('\n');
    for (const expected of [
      /routeConfig: no such field/,
      /connect_timeout: expected a duration/,
      /"STATICK" is not a DiscoveryType value/,
      /clusters\[2\]\.name: must be a string/,
      /prefix and path are both set/,
      /routes\[1\]: one of route, redirect/,
    ]) {
      assert.match(problems, expected);
    }
  });

  it('sends the benchmark request through header matching on a late virtual host', () => {
    const bootstrap: Any = realisticBootstrap(PORTS);
    const hcm = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    const hosts = hcm.route_config.virtual_hosts;
    assert.equal(hosts.length, 100);
    for (const vh of hosts) assert.equal(vh.routes.length, 10);
    const target = hosts.findIndex((vh: Any) => vh.domains.includes(BENCH_HOST));
    assert.equal(target, TARGET_VIRTUAL_HOST);
    assert.ok(target >= 50, 'the benchmark host must be one of the later virtual hosts');
    // First route that matches GET /p/1kb with the benchmark headers: walk the table as Envoy does.
    const headers: Record<string, string> = {
      [ROUTE_HEADER]: ROUTE_HEADER_VALUE,
      'user-agent': 'skein-bench',
    };
    const path = '/p/1kb';
    const chosen = hosts[target].routes.find((r: Any) => {
      const m = r.match;
      if (m.path !== undefined && m.path !== path) return false;
      if (m.prefix !== undefined && !path.toLowerCase().startsWith(m.prefix.toLowerCase())) return false;
      if (m.safe_regex && !new RegExp(m.safe_regex.regex).test(path)) return false;
      return (m.headers ?? []).every((h: Any) =>
        h.present_match !== undefined
          ? (headers[h.name] !== undefined) === h.present_match
          : h.string_match.exact !== undefined
            ? headers[h.name] === h.string_match.exact
            : (headers[h.name] ?? '').startsWith(h.string_match.prefix),
      );
    });
    assert.equal(chosen.route.cluster, BENCH_CLUSTER);
    assert.ok(chosen.match.headers.length > 0, 'the chosen route must match on a header');
    const before = hosts[target].routes.slice(0, hosts[target].routes.indexOf(chosen));
    assert.ok(before.filter((r: Any) => r.match.headers && r.match.prefix === '/').length >= 2);
    assert.equal(hosts[target].routes.at(-1).route.cluster, MISROUTE_CLUSTER);
    assert.deepEqual(bootstrap.stats_config.stats_matcher, { reject_all: false });
  });
});
