import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPath } from '../../xds/proto-json.js';
import { parseClusterConfig } from './cluster-config.js';
import { clusterConfig } from './fixtures.test.util.js';

const HTTP_OPTIONS = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function staticCluster(extra: object = {}): object {
  return {
    name: 'web',
    type: 'STATIC',
    load_assignment: {
      cluster_name: 'web',
      endpoints: [
        {
          lb_endpoints: [
            { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 8080 } } } },
          ],
        },
      ],
    },
    ...extra,
  };
}

function errorsOf(json: object): string[] {
  const result = parseClusterConfig(clusterConfig(json), ['clusters', 0]);
  assert.equal(result.ok, false, 'expected errors');
  return result.ok ? [] : result.errors.map((e) => `${formatPath(e.path)}: ${e.message}`);
}

function settingsOf(json: object) {
  const result = parseClusterConfig(clusterConfig(json));
  if (!result.ok) assert.fail(JSON.stringify(result.errors));
  return result.settings;
}

describe('parseClusterConfig', () => {
  it("applies Envoy's defaults", () => {
    const s = settingsOf({ name: 'c' });
    assert.equal(s.type, 'STATIC');
    assert.equal(s.lbPolicy, 'ROUND_ROBIN');
    assert.equal(s.connectTimeoutMs, 5000);
    assert.equal(s.idleTimeoutMs, 3_600_000);
    assert.equal(s.maxRequestsPerConnection, 0);
    assert.equal(s.panicThreshold, 50);
    assert.equal(s.dnsRefreshRateMs, 5000);
    assert.equal(s.cleanupIntervalMs, 5000);
    assert.equal(s.dnsLookupFamily, 'AUTO');
    assert.equal(s.waitForWarmOnInit, true);
    assert.equal(s.edsServiceName, 'c');
    assert.equal(s.statName, 'c');
    assert.equal(s.localityWeighted, false);
  });

  it('reads timeouts, protocol options, panic threshold and names', () => {
    const s = settingsOf({
      name: 'c',
      alt_stat_name: 'c_stats',
      type: 'EDS',
      eds_cluster_config: { service_name: 'svc', eds_config: { ads: {} } },
      connect_timeout: '0.25s',
      dns_refresh_rate: '2s',
      common_lb_config: { healthy_panic_threshold: { value: 25.6 }, locality_weighted_lb_config: {} },
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': HTTP_OPTIONS,
          common_http_protocol_options: { idle_timeout: '30s', max_requests_per_connection: 100 },
          explicit_http_config: { http_protocol_options: {} },
        },
      },
    });
    assert.equal(s.connectTimeoutMs, 250);
    assert.equal(s.dnsRefreshRateMs, 2000);
    assert.equal(s.idleTimeoutMs, 30_000);
    assert.equal(s.maxRequestsPerConnection, 100);
    assert.equal(s.panicThreshold, 26);
    assert.equal(s.localityWeighted, true);
    assert.equal(s.edsServiceName, 'svc');
    assert.equal(s.statName, 'c_stats');
    assert.equal(settingsOf({ name: 'c', max_requests_per_connection: 3 }).maxRequestsPerConnection, 3);
  });

  it('reports every set field it does not implement, by path', () => {
    assert.deepEqual(
      errorsOf(
        staticCluster({
          outlier_detection: { consecutive_5xx: 5 },
          health_checks: [
            {
              timeout: '1s',
              interval: '1s',
              unhealthy_threshold: 1,
              healthy_threshold: 1,
              grpc_health_check: {},
            },
          ],
          common_lb_config: { zone_aware_lb_config: {} },
          circuit_breakers: {
            thresholds: [{ max_connections: 10, retry_budget: {} }],
            per_host_thresholds: [{}],
          },
        }),
      ).sort(),
      [
        "clusters[0].circuit_breakers.per_host_thresholds: field 'per_host_thresholds' is not supported by Skein yet",
        "clusters[0].common_lb_config.zone_aware_lb_config: field 'zone_aware_lb_config' is not supported by Skein yet",
        "clusters[0].health_checks[0].grpc_health_check: field 'grpc_health_check' is not supported by Skein yet",
      ],
    );
  });

  it('checks endpoints: IP addresses for STATIC, weights at least 1, no health checks', () => {
    const errors = errorsOf({
      name: 'web',
      load_assignment: {
        cluster_name: 'web',
        endpoints: [
          {
            load_balancing_weight: 0,
            lb_endpoints: [
              { endpoint: { address: { socket_address: { address: 'backend.local', port_value: 80 } } } },
              {
                load_balancing_weight: 0,
                endpoint: {
                  address: { socket_address: { address: '10.0.0.1', port_value: 80 } },
                  health_check_config: { port_value: 81 },
                },
              },
            ],
          },
        ],
      },
    });
    assert.deepEqual(errors, [
      'clusters[0].load_assignment.endpoints[0].load_balancing_weight: must be at least 1',
      "clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address: malformed IP address: backend.local. Consider setting resolver_name or setting cluster type to 'STRICT_DNS' or 'LOGICAL_DNS'",
      'clusters[0].load_assignment.endpoints[0].lb_endpoints[1].load_balancing_weight: must be at least 1',
      "clusters[0].load_assignment.endpoints[0].lb_endpoints[1].endpoint.health_check_config: field 'health_check_config' is not supported by Skein yet",
    ]);
  });

  it('enforces the discovery types’ rules', () => {
    assert.match(errorsOf({ name: 'o', type: 'ORIGINAL_DST' })[0]!, /Only 'CLUSTER_PROVIDED' is allowed/);
    assert.match(
      errorsOf({ name: 'o', lb_policy: 'CLUSTER_PROVIDED' })[0]!,
      /CLUSTER_PROVIDED is not valid for Cluster type STATIC/,
    );
    assert.match(
      errorsOf({
        name: 'o',
        type: 'ORIGINAL_DST',
        lb_policy: 'CLUSTER_PROVIDED',
        original_dst_lb_config: { http_header_name: 'x-dst' },
      })[0]!,
      /use_http_header is false/,
    );
    assert.match(
      errorsOf({ ...staticCluster(), type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' })[0]!,
      /must have no load assignment/,
    );
    assert.match(
      errorsOf({
        name: 'l',
        type: 'LOGICAL_DNS',
        load_assignment: {
          cluster_name: 'l',
          endpoints: [
            {
              lb_endpoints: [
                { endpoint: { address: { socket_address: { address: 'a.example', port_value: 80 } } } },
                { endpoint: { address: { socket_address: { address: 'b.example', port_value: 80 } } } },
              ],
            },
          ],
        },
      })[0]!,
      /single locality_lb_endpoint and a single lb_endpoint/,
    );
    assert.match(errorsOf({ name: 'x', lb_policy: 'LOAD_BALANCING_POLICY_CONFIG' })[0]!, /not supported/);
    assert.match(
      errorsOf({ name: 'x', connect_timeout: '0s' })[0]!,
      /connect_timeout: must be greater than 0/,
    );
  });

  it('accepts HTTP/1.1 protocol options only, and one max_requests_per_connection', () => {
    const errors = errorsOf({
      name: 'c',
      max_requests_per_connection: 5,
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': HTTP_OPTIONS,
          common_http_protocol_options: { max_requests_per_connection: 10, max_connection_duration: '60s' },
          explicit_http_config: { http2_protocol_options: {} },
        },
        'envoy.filters.network.thrift_proxy': { '@type': HTTP_OPTIONS },
      },
    });
    assert.deepEqual(errors.sort(), [
      'clusters[0].max_requests_per_connection: Only one of max_requests_per_connection from Cluster or HttpProtocolOptions can be specified',
      "clusters[0].typed_extension_protocol_options.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.common_http_protocol_options.max_connection_duration: field 'max_connection_duration' is not supported by Skein yet",
      "clusters[0].typed_extension_protocol_options.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.explicit_http_config.http2_protocol_options: field 'http2_protocol_options' is not supported by Skein yet",
      "clusters[0].typed_extension_protocol_options.envoy.filters.network.thrift_proxy: protocol options 'envoy.filters.network.thrift_proxy' are not supported by Skein yet",
    ]);
  });

  it("reads outlier_detection with Envoy's defaults", () => {
    assert.deepEqual(settingsOf({ name: 'c', outlier_detection: {} }).outlierDetection, {
      intervalMs: 10_000,
      baseEjectionTimeMs: 30_000,
      maxEjectionTimeMs: 300_000,
      maxEjectionTimeJitterMs: 0,
      maxEjectionPercent: 10,
      alwaysEjectOneHost: false,
      consecutive5xx: 5,
      consecutiveGatewayFailure: 5,
      consecutiveLocalOriginFailure: 5,
      splitExternalLocalOriginErrors: false,
      successRateMinimumHosts: 5,
      successRateRequestVolume: 100,
      successRateStdevFactor: 1.9,
      failurePercentageThreshold: 85,
      failurePercentageMinimumHosts: 5,
      failurePercentageRequestVolume: 50,
      enforcingConsecutive5xx: 100,
      enforcingConsecutiveGatewayFailure: 0,
      enforcingSuccessRate: 100,
      enforcingConsecutiveLocalOriginFailure: 100,
      enforcingLocalOriginSuccessRate: 100,
      enforcingFailurePercentage: 0,
      enforcingFailurePercentageLocalOrigin: 0,
      successfulActiveHealthCheckUnejectHost: true,
    });
    assert.equal(settingsOf({ name: 'c' }).outlierDetection, undefined);
    // max_ejection_time defaults to base_ejection_time when that is longer than 300 s.
    const long = settingsOf({ name: 'c', outlier_detection: { base_ejection_time: '400s' } }).outlierDetection!;
    assert.equal(long.maxEjectionTimeMs, 400_000);
  });

  it('checks outlier_detection values', () => {
    assert.deepEqual(
      errorsOf({
        name: 'c',
        outlier_detection: {
          interval: '0s',
          base_ejection_time: '10s',
          max_ejection_time: '5s',
          enforcing_consecutive_5xx: 101,
        },
      }).sort(),
      [
        "clusters[0].outlier_detection.enforcing_consecutive_5xx.value: must be at most 100",
        "clusters[0].outlier_detection.interval: must be greater than 0",
        "clusters[0].outlier_detection.max_ejection_time: outlier detector's max_ejection_time cannot be smaller than base_ejection_time",
      ],
    );
  });

  it("reads health_checks with Envoy's defaults", () => {
    const hc = settingsOf({
      name: 'c',
      health_checks: [
        { timeout: '1s', interval: '5s', unhealthy_threshold: 3, healthy_threshold: 2, http_health_check: { path: '/hc' } },
      ],
    }).healthCheck!;
    assert.equal(hc.timeoutMs, 1000);
    assert.equal(hc.intervalMs, 5000);
    assert.equal(hc.noTrafficIntervalMs, 60_000);
    assert.equal(hc.noTrafficHealthyIntervalMs, 60_000);
    assert.equal(hc.unhealthyIntervalMs, 5000);
    assert.equal(hc.unhealthyEdgeIntervalMs, 5000);
    assert.equal(hc.healthyEdgeIntervalMs, 5000);
    assert.equal(hc.reuseConnection, true);
    assert.equal(hc.check.type, 'http');
    assert.ok(hc.check.type === 'http');
    assert.equal(hc.check.method, 'GET');
    assert.deepEqual(hc.check.expectedStatuses, [[200, 201]]);
    const edges = settingsOf({
      name: 'c',
      health_checks: [
        {
          timeout: '1s',
          interval: '5s',
          unhealthy_interval: '7s',
          unhealthy_threshold: 3,
          healthy_threshold: 2,
          tcp_health_check: { send: { text: '50494e47' } },
        },
      ],
    }).healthCheck!;
    assert.equal(edges.unhealthyEdgeIntervalMs, 7000);
    assert.ok(edges.check.type === 'tcp');
    assert.deepEqual(edges.check.send, Buffer.from('PING'));
  });

  it('checks health_checks: required fields, one checker, HTTP/1.1 only, payloads and status ranges', () => {
    const base = { timeout: '1s', interval: '1s', unhealthy_threshold: 1, healthy_threshold: 1 };
    assert.deepEqual(errorsOf({ name: 'c', health_checks: [{ http_health_check: { path: '/' } }] }).sort(), [
      'clusters[0].health_checks[0].healthy_threshold: healthy_threshold is required',
      'clusters[0].health_checks[0].interval: interval is required',
      'clusters[0].health_checks[0].timeout: timeout is required',
      'clusters[0].health_checks[0].unhealthy_threshold: unhealthy_threshold is required',
    ]);
    assert.deepEqual(
      errorsOf({ name: 'c', health_checks: [{ ...base, tcp_health_check: {} }, { ...base, tcp_health_check: {} }] }),
      ['clusters[0].health_checks: Multiple health checks not supported'],
    );
    assert.deepEqual(
      errorsOf({
        name: 'c',
        health_checks: [
          {
            ...base,
            http_health_check: {
              path: '/',
              codec_client_type: 'HTTP2',
              send: { text: 'abc' },
              expected_statuses: [{ start: 200, end: 200 }],
              retriable_statuses: [{ start: 500, end: 601 }],
            },
          },
        ],
      }).sort(),
      [
        'clusters[0].health_checks[0].http_health_check.codec_client_type: codec_client_type HTTP2 is not supported by Skein yet (only HTTP1)',
        'clusters[0].health_checks[0].http_health_check.expected_statuses[0]: Invalid http expected status range: expecting start < end, but found start=200 and end=200',
        'clusters[0].health_checks[0].http_health_check.retriable_statuses[0]: Invalid http retriable status range: expecting end <= 600, but found end=601',
        "clusters[0].health_checks[0].http_health_check.send.text: invalid hex string 'abc'",
      ],
    );
    assert.match(
      errorsOf({ name: 'c', health_checks: [{ ...base, http_health_check: { path: '/', send: { text: '00' } } }] })[0]!,
      /cannot specify a request payload with method 'GET'/,
    );
  });
});
