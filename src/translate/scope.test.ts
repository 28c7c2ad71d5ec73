import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertEnvoyResources, config, find, proxyOf, service, snapshotOf, workload } from './fixtures.test.util.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, generate, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from './index.js';

type J = Record<string, unknown>;
const http = [{ name: 'http', port: 8080, protocol: 'HTTP' as const }];
const A = service('a', 'ns-a', http);
const B = service('b', 'ns-b', http, { exportTo: ['.'] });
const C = service('c', 'ns-c', http);
const client = proxyOf('sidecar~10.0.0.1~client.ns-a~ns-a.svc.cluster.local', { LABELS: { app: 'client' } });

function clusterNames(configs: Parameters<typeof snapshotOf>[2], proxy = client): string[] {
  const clusters = generate(snapshotOf([A, B, C], [], configs), proxy, CLUSTER_TYPE_URL);
  assertEnvoyResources(CLUSTER_TYPE_URL, clusters);
  return clusters.map((c) => c.name).filter((n) => n.startsWith('outbound'));
}

describe('visibility: exportTo and the Sidecar resource', () => {
  test("a service exported to '.' is invisible from other namespaces", () => {
    assert.deepEqual(clusterNames([]), ['outbound|8080||a.ns-a.svc.cluster.local', 'outbound|8080||c.ns-c.svc.cluster.local']);
  });

  test('Sidecar egress hosts narrow what the proxy sees; a selecting Sidecar beats the namespace default', () => {
    const nsDefault = config('Sidecar', 'default', { egress: [{ hosts: ['./*'] }] }, { namespace: 'ns-a' });
    assert.deepEqual(clusterNames([nsDefault]), ['outbound|8080||a.ns-a.svc.cluster.local']);
    const selecting = config('Sidecar', 'client', { workloadSelector: { labels: { app: 'client' } }, egress: [{ hosts: ['ns-c/*'] }] }, { namespace: 'ns-a' });
    assert.deepEqual(clusterNames([nsDefault, selecting]), ['outbound|8080||c.ns-c.svc.cluster.local']);
    const root = config('Sidecar', 'default', { egress: [{ hosts: ['*/c.ns-c.svc.cluster.local'] }] }, { namespace: 'istio-system' });
    assert.deepEqual(clusterNames([root]), ['outbound|8080||c.ns-c.svc.cluster.local']);
  });

  test('Sidecar outboundTrafficPolicy REGISTRY_ONLY turns passthrough into the black hole', () => {
    const sidecar = config('Sidecar', 'default', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }, { namespace: 'ns-a' });
    const snapshot = snapshotOf([A], [], [sidecar]);
    const lds = generate(snapshot, client, LISTENER_TYPE_URL);
    const chains = find(lds, 'virtualOutbound').filter_chains as J[];
    assert.match(JSON.stringify(chains[1]), /"cluster":"BlackHoleCluster"/);
    const rds = generate(snapshot, client, ROUTE_TYPE_URL, ['8080']);
    assert.equal(((find(rds, '8080').virtual_hosts as J[]).at(-1) as J).name, 'block_all');
  });
});

describe('DestinationRule lookup', () => {
  const dr = (name: string, namespace: string, subset: string, exportTo?: string[]) =>
    config('DestinationRule', name, { host: 'c.ns-c.svc.cluster.local', subsets: [{ name: subset, labels: { v: subset } }], ...(exportTo ? { exportTo } : {}) }, { namespace });

  test("the proxy's namespace first, then the service's, then the root namespace", () => {
    const inClient = dr('x', 'ns-a', 'from-client');
    const inService = dr('y', 'ns-c', 'from-service');
    const inRoot = dr('z', 'istio-system', 'from-root');
    assert.ok(clusterNames([inRoot, inService, inClient]).includes('outbound|8080|from-client|c.ns-c.svc.cluster.local'));
    assert.ok(clusterNames([inRoot, inService]).includes('outbound|8080|from-service|c.ns-c.svc.cluster.local'));
    assert.ok(clusterNames([inRoot]).includes('outbound|8080|from-root|c.ns-c.svc.cluster.local'));
    // Not exported to the proxy's namespace: skipped.
    assert.ok(clusterNames([inRoot, dr('y', 'ns-c', 'private', ['.'])]).includes('outbound|8080|from-root|c.ns-c.svc.cluster.local'));
  });

  test('rules for one host in one namespace merge: subsets appended, the oldest traffic policy wins', () => {
    const first = config('DestinationRule', 'one', { host: 'c.ns-c.svc.cluster.local', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } }, subsets: [{ name: 's1', labels: { v: '1' } }] }, { namespace: 'ns-c', creationTimestamp: '2024-01-01T00:00:00Z' });
    const second = config('DestinationRule', 'two', { host: 'c.ns-c.svc.cluster.local', trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } }, subsets: [{ name: 's1', labels: { v: 'x' } }, { name: 's2', labels: { v: '2' } }] }, { namespace: 'ns-c', creationTimestamp: '2024-02-01T00:00:00Z' });
    const snapshot = snapshotOf([C], [], [second, first]);
    const clusters = generate(snapshot, client, CLUSTER_TYPE_URL);
    assert.deepEqual(
      clusters.map((c) => c.name).filter((n) => n.startsWith('outbound')),
      ['outbound|8080||c.ns-c.svc.cluster.local', 'outbound|8080|s1|c.ns-c.svc.cluster.local', 'outbound|8080|s2|c.ns-c.svc.cluster.local'],
    );
    assert.equal(find(clusters, 'outbound|8080||c.ns-c.svc.cluster.local').lb_policy, 'RANDOM');
  });
});

describe('EDS: subsets, health, weights and locality', () => {
  const svc = service('c', 'ns-c', http);
  const loc = (region: string, zone: string) => ({ region, zone, subzone: '' });
  const workloads = [
    workload('c1', 'ns-c', '10.0.1.1', { app: 'c', v: '1' }, { locality: loc('us', 'a'), weight: 3 }),
    workload('c2', 'ns-c', '10.0.1.2', { app: 'c', v: '2' }, { locality: loc('us', 'b') }),
    workload('c3', 'ns-c', '10.0.1.3', { app: 'c', v: '1' }, { locality: loc('eu', 'a') }),
    workload('c4', 'ns-c', '10.0.1.4', { app: 'c', v: '1' }, { locality: loc('us', 'a'), health: 'UNHEALTHY' }),
  ];
  const zonal = proxyOf('sidecar~10.0.0.1~client.ns-a~ns-a.svc.cluster.local');
  const withLocality = { ...zonal, locality: loc('us', 'a') };

  function eds(configs: Parameters<typeof snapshotOf>[2], name: string): J {
    const out = generate(snapshotOf([svc], workloads, configs), withLocality, ENDPOINT_TYPE_URL, [name]);
    assertEnvoyResources(ENDPOINT_TYPE_URL, out);
    return find(out, name);
  }

  test('grouped by locality, unhealthy left out, weights summed; a subset filters by labels', () => {
    const all = eds([], 'outbound|8080||c.ns-c.svc.cluster.local');
    assert.deepEqual(
      (all.endpoints as J[]).map((e) => [e.locality, e.load_balancing_weight, (e.lb_endpoints as J[]).length, e.priority]),
      [
        [{ region: 'eu', zone: 'a' }, 1, 1, undefined],
        [{ region: 'us', zone: 'a' }, 3, 1, undefined],
        [{ region: 'us', zone: 'b' }, 1, 1, undefined],
      ],
    );
    const dr = config('DestinationRule', 'c', { host: 'c.ns-c.svc.cluster.local', subsets: [{ name: 'one', labels: { v: '1' } }] }, { namespace: 'ns-c' });
    const one = eds([dr], 'outbound|8080|one|c.ns-c.svc.cluster.local');
    assert.deepEqual(JSON.stringify(one).match(/10\.0\.1\.\d/g), ['10.0.1.3', '10.0.1.1']);
  });

  test('with outlier detection, localities get failover priorities relative to the proxy', () => {
    const dr = config('DestinationRule', 'c', { host: 'c.ns-c.svc.cluster.local', trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5 } } }, { namespace: 'ns-c' });
    const out = eds([dr], 'outbound|8080||c.ns-c.svc.cluster.local');
    assert.deepEqual(
      (out.endpoints as J[]).map((e) => [(e.locality as J).region, (e.locality as J).zone, e.priority ?? 0]),
      [
        ['eu', 'a', 2],
        ['us', 'a', 0],
        ['us', 'b', 1],
      ],
    );
  });

  test('distribute rewrites locality weights and drops unlisted localities', () => {
    const dr = config('DestinationRule', 'c', { host: 'c.ns-c.svc.cluster.local', trafficPolicy: { loadBalancer: { localityLbSetting: { distribute: [{ from: 'us/a/*', to: { 'us/b/*': 80, 'eu/*': 20 } }] } } } }, { namespace: 'ns-c' });
    const out = eds([dr], 'outbound|8080||c.ns-c.svc.cluster.local');
    assert.deepEqual(
      (out.endpoints as J[]).map((e) => [(e.locality as J).region, e.load_balancing_weight, (e.lb_endpoints as J[]).length]),
      [
        ['eu', 20, 1],
        ['us', 3, 0],
        ['us', 80, 1],
      ],
    );
    const clusters = generate(snapshotOf([svc], workloads, [dr]), withLocality, CLUSTER_TYPE_URL);
    assert.deepEqual(find(clusters, 'outbound|8080||c.ns-c.svc.cluster.local').common_lb_config, { locality_weighted_lb_config: {} });
  });
});
