import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bootstrap__Output } from './generated/envoy/config/bootstrap/v3/Bootstrap.js';
import type { HttpConnectionManager__Output } from './generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';
import { decodeProtoJson, formatPath } from './proto-json.js';
import { unpackAny } from './protos.js';

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

function bootstrap(routeMatch: Record<string, unknown> = { prefix: '/' }): unknown {
  return {
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 9901 } } },
    static_resources: {
      listeners: [
        {
          name: 'l',
          address: { socketAddress: { address: '0.0.0.0', portValue: 10000 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': HCM,
                    stat_prefix: 'ingress',
                    stream_idle_timeout: '1.5s',
                    route_config: {
                      virtual_hosts: [
                        {
                          name: 'v',
                          domains: ['*'],
                          routes: [{ match: routeMatch, route: { cluster: 'c' } }],
                        },
                      ],
                    },
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        { name: 'c', type: 'STATIC', connect_timeout: '0.25s', per_connection_buffer_limit_bytes: 32768 },
      ],
    },
  };
}

describe('decodeProtoJson', () => {
  it('decodes an Envoy bootstrap with JSON and proto names, Any, Duration and wrappers', () => {
    const result = decodeProtoJson<Bootstrap__Output>('envoy.config.bootstrap.v3.Bootstrap', bootstrap());
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    const listener = result.value.static_resources!.listeners[0]!;
    assert.equal(listener.address!.socket_address!.port_value, 10000);
    const cluster = result.value.static_resources!.clusters[0]!;
    assert.equal(cluster.type, 'STATIC');
    assert.deepEqual(cluster.connect_timeout, { seconds: 0, nanos: 250_000_000 });
    assert.equal(cluster.per_connection_buffer_limit_bytes!.value, 32768);
    const any = listener.filter_chains[0]!.filters[0]!.typed_config!;
    const hcm = unpackAny<HttpConnectionManager__Output>(any);
    assert.ok(hcm.ok);
    assert.equal(hcm.value.stat_prefix, 'ingress');
    assert.deepEqual(hcm.value.stream_idle_timeout, { seconds: 1, nanos: 500_000_000 });
    assert.equal(hcm.value.route_config!.virtual_hosts[0]!.routes[0]!.match!.prefix, '/');
  });

  it('names the path of an unknown field inside an Any, with a suggestion', () => {
    const result = decodeProtoJson('envoy.config.bootstrap.v3.Bootstrap', bootstrap({ prefx: '/' }));
    assert.ok(!result.ok);
    assert.equal(result.errors.length, 1);
    const [error] = result.errors;
    assert.equal(
      formatPath(error!.path),
      'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].match.prefx',
    );
    assert.match(error!.message, /did you mean 'prefix'/);
  });

  it('rejects type errors, bad enums, bad durations, out-of-range ints and two oneof members', () => {
    const cases: [unknown, RegExp][] = [
      [{ static_resources: { clusters: [{ name: 1 }] } }, /expected a string/],
      [
        { static_resources: { clusters: [{ name: 'c', type: 'STATICK' }] } },
        /invalid value .* for enum DiscoveryType/,
      ],
      [{ static_resources: { clusters: [{ name: 'c', connect_timeout: '5' }] } }, /expected a duration/],
      [{ static_resources: { clusters: [{ name: 'c', connect_timeout: 5 }] } }, /expected a duration/],
      [{ admin: { address: { socket_address: { port_value: 70000 * 70000 } } } }, /out of range/],
      [{ admin: { address: { socket_address: { port_value: 1, named_port: 'x' } } } }, /only one of oneof/],
      [{ static_resources: { listeners: {} } }, /expected a list/],
      [
        {
          static_resources: {
            listeners: [
              {
                filter_chains: [{ filters: [{ typed_config: { '@type': 'type.googleapis.com/no.Such' } }] }],
              },
            ],
          },
        },
        /unknown type URL/,
      ],
      [
        {
          static_resources: {
            listeners: [{ filter_chains: [{ filters: [{ typed_config: { stat_prefix: 'x' } }] }] }],
          },
        },
        /"@type" is required/,
      ],
    ];
    for (const [json, pattern] of cases) {
      const result = decodeProtoJson('envoy.config.bootstrap.v3.Bootstrap', json);
      assert.ok(!result.ok, `accepted ${JSON.stringify(json)}`);
      assert.match(result.errors[0]!.message, pattern);
    }
  });
});
