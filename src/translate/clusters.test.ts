import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DestinationRuleSpec, Resolution } from '../model/index.js';
import { assertEnvoyResources, config, find, proxyOf, service, snapshotOf, workload } from './fixtures.test.util.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, generate } from './index.js';

const HTTPBIN = service('httpbin', 'default', [{ name: 'http', port: 8000, protocol: 'HTTP' }]);
const CLIENT = proxyOf('sidecar~10.0.0.9~fortio.default~default.svc.cluster.local', { LABELS: { app: 'fortio' } });
const OUTBOUND = 'outbound|8000||httpbin.default.svc.cluster.local';

function clustersWith(spec: DestinationRuleSpec, names?: string[]) {
  const snapshot = snapshotOf([HTTPBIN], [workload('httpbin-1', 'default', '10.0.0.2', { app: 'httpbin', version: 'v1' })], [
    config('DestinationRule', 'httpbin', spec),
  ]);
  const clusters = generate(snapshot, CLIENT, CLUSTER_TYPE_URL, names);
  assertEnvoyResources(CLUSTER_TYPE_URL, clusters);
  return clusters;
}

describe('CDS: DestinationRule traffic policy', () => {
  test('the circuit-breaking task DestinationRule (connection pool + outlier detection)', () => {
    const c = find(
      clustersWith({
        host: 'httpbin',
        trafficPolicy: {
          connectionPool: { tcp: { maxConnections: 1 }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
          outlierDetection: { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100 },
        },
      }),
      OUTBOUND,
    );
    assert.deepEqual(c.circuit_breakers, {
      thresholds: [{ max_connections: 1, max_pending_requests: 1, max_requests: 4294967295, max_retries: 4294967295, track_remaining: true }],
    });
    assert.deepEqual(c.outlier_detection, {
      enforcing_success_rate: 0,
      consecutive_5xx: 1,
      enforcing_consecutive_5xx: 100,
      interval: '1s',
      base_ejection_time: '180s',
      max_ejection_percent: 100,
    });
    // minHealthPercent (default 0) is the panic threshold.
    assert.deepEqual(c.common_lb_config, { healthy_panic_threshold: { value: 0 } });
    assert.deepEqual(c.typed_extension_protocol_options, {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        common_http_protocol_options: { max_requests_per_connection: 1 },
        explicit_http_config: { http_protocol_options: {} },
      },
    });
  });

  test('defaults: LEAST_REQUEST, 10s connect timeout, unlimited circuit breakers, EDS over ADS', () => {
    const c = find(clustersWith({ host: 'httpbin' }), OUTBOUND);
    assert.equal(c.lb_policy, 'LEAST_REQUEST');
    assert.equal(c.connect_timeout, '10s');
    assert.equal(c.type, 'EDS');
    assert.deepEqual(c.eds_cluster_config, {
      eds_config: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' },
      service_name: OUTBOUND,
    });
    assert.equal(c.outlier_detection, undefined);
  });

  test('simple load balancers and consistent hashing', () => {
    const lb = (loadBalancer: object) => find(clustersWith({ host: 'httpbin', trafficPolicy: { loadBalancer } }), OUTBOUND);
    assert.equal(lb({ simple: 'RANDOM' }).lb_policy, 'RANDOM');
    assert.equal(lb({ simple: 'ROUND_ROBIN' }).lb_policy, undefined); // ROUND_ROBIN is the proto default
    assert.equal(lb({ simple: 'LEAST_CONN' }).lb_policy, 'LEAST_REQUEST');
    const passthrough = lb({ simple: 'PASSTHROUGH' });
    assert.equal(passthrough.type, 'ORIGINAL_DST');
    assert.equal(passthrough.lb_policy, 'CLUSTER_PROVIDED');
    assert.equal(passthrough.eds_cluster_config, undefined);
    const ring = lb({ consistentHash: { httpHeaderName: 'x-user' } });
    assert.equal(ring.lb_policy, 'RING_HASH');
    assert.deepEqual(ring.ring_hash_lb_config, { minimum_ring_size: '1024' });
    const maglev = lb({ consistentHash: { useSourceIp: true, maglev: { tableSize: 65537 } } });
    assert.equal(maglev.lb_policy, 'MAGLEV');
    assert.deepEqual(maglev.maglev_lb_config, { table_size: '65537' });
    assert.deepEqual(lb({ simple: 'ROUND_ROBIN', warmupDurationSecs: '30s' }).round_robin_lb_config, { slow_start_config: { slow_start_window: '30s' } });
  });

  test('subset policy overrides the rule field by field; a port-level setting replaces it', () => {
    const clusters = clustersWith({
      host: 'httpbin',
      trafficPolicy: {
        loadBalancer: { simple: 'RANDOM' },
        connectionPool: { tcp: { maxConnections: 10 } },
        portLevelSettings: [{ port: { number: 9999 }, loadBalancer: { simple: 'ROUND_ROBIN' } }],
      },
      subsets: [
        { name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } },
        {
          name: 'v2',
          labels: { version: 'v2' },
          trafficPolicy: { portLevelSettings: [{ port: { number: 8000 }, connectionPool: { http: { http2MaxRequests: 7 } } }] },
        },
      ],
    });
    const v1 = find(clusters, 'outbound|8000|v1|httpbin.default.svc.cluster.local');
    assert.equal(v1.lb_policy, 'LEAST_REQUEST');
    assert.equal(((v1.circuit_breakers as { thresholds: Record<string, unknown>[] }).thresholds[0] ?? {}).max_connections, 10);
    const v2 = find(clusters, 'outbound|8000|v2|httpbin.default.svc.cluster.local');
    // Port-level subset settings override every field: the rule's RANDOM and maxConnections are gone.
    assert.equal(v2.lb_policy, 'LEAST_REQUEST');
    const t = (v2.circuit_breakers as { thresholds: Record<string, unknown>[] }).thresholds[0] ?? {};
    assert.equal(t.max_connections, 4294967295);
    assert.equal(t.max_requests, 7);
    assert.equal(find(clusters, OUTBOUND).lb_policy, 'RANDOM');
  });

  test('idle timeout, connect timeout, TCP keepalive and HTTP/2 upgrade', () => {
    const c = find(
      clustersWith({
        host: 'httpbin',
        trafficPolicy: {
          connectionPool: {
            tcp: { connectTimeout: '250ms', tcpKeepalive: { probes: 3, time: '2m', interval: '30s' } },
            http: { idleTimeout: '90s', h2UpgradePolicy: 'UPGRADE' },
          },
        },
      }),
      OUTBOUND,
    );
    assert.equal(c.connect_timeout, '0.250s');
    assert.deepEqual(c.upstream_connection_options, { tcp_keepalive: { keepalive_probes: 3, keepalive_time: 120, keepalive_interval: 30 } });
    const options = (c.typed_extension_protocol_options as Record<string, Record<string, unknown>>)['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    assert.deepEqual(options?.common_http_protocol_options, { idle_timeout: '90s' });
    assert.deepEqual(options?.explicit_http_config, { http2_protocol_options: {} });
  });

  test('sidecar gets BlackHole, Passthrough and inbound clusters; names narrow the answer', () => {
    const all = clustersWith({ host: 'httpbin' });
    assert.deepEqual(
      all.map((c) => c.name),
      [OUTBOUND, 'BlackHoleCluster', 'PassthroughCluster', 'InboundPassthroughCluster'],
    );
    assert.deepEqual(clustersWith({ host: 'httpbin' }, ['BlackHoleCluster']).map((c) => c.name), ['BlackHoleCluster']);
  });
});

describe('CDS: ServiceEntry resolution', () => {
  const external = (resolution: Resolution, withEndpoints: boolean) => {
    const svc = service('api', 'default', [{ name: 'http', port: 80, protocol: 'HTTP' }], {
      hostname: 'api.example.com',
      resolution,
      location: 'MESH_EXTERNAL',
      registry: 'External',
      selector: { app: 'api' },
    });
    const snapshot = snapshotOf([svc], withEndpoints ? [workload('api-1', 'default', 'api-1.example.com', { app: 'api' })] : []);
    const clusters = generate(snapshot, CLIENT, CLUSTER_TYPE_URL);
    assertEnvoyResources(CLUSTER_TYPE_URL, clusters);
    return find(clusters, 'outbound|80||api.example.com');
  };

  test('DNS → STRICT_DNS with the endpoints, or the host itself when there are none', () => {
    const c = external('DNS', true);
    assert.equal(c.type, 'STRICT_DNS');
    assert.equal(c.dns_lookup_family, 'V4_ONLY');
    assert.equal(c.dns_refresh_rate, '60s');
    assert.equal(c.respect_dns_ttl, true);
    const address = (c: Record<string, unknown>) =>
      JSON.stringify(c.load_assignment).match(/"address":"([^"]+)","port_value":(\d+)/)?.slice(1);
    assert.deepEqual(address(c), ['api-1.example.com', '80']);
    assert.deepEqual(address(external('DNS', false)), ['api.example.com', '80']);
  });

  test('DNS_ROUND_ROBIN → LOGICAL_DNS, NONE → ORIGINAL_DST, STATIC → EDS', () => {
    assert.equal(external('DNS_ROUND_ROBIN', false).type, 'LOGICAL_DNS');
    const none = external('NONE', false);
    assert.equal(none.type, 'ORIGINAL_DST');
    assert.equal(none.lb_policy, 'CLUSTER_PROVIDED');
    assert.equal(external('STATIC', true).type, 'EDS');
  });

  test('EDS answers an empty assignment for unknown clusters', () => {
    const snapshot = snapshotOf([HTTPBIN], []);
    const eds = generate(snapshot, CLIENT, ENDPOINT_TYPE_URL, ['outbound|8000|nope|httpbin.default.svc.cluster.local', 'bogus']);
    assertEnvoyResources(ENDPOINT_TYPE_URL, eds);
    assert.deepEqual(
      eds.map((e) => e.resource),
      [{ cluster_name: 'outbound|8000|nope|httpbin.default.svc.cluster.local' }, { cluster_name: 'bogus' }],
    );
  });
});
