import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPath } from '../../xds/proto-json.js';
import { ConfigRejected } from '../config/config-error.js';
import { ProxyServer } from '../server.js';
import { adsSettings } from './dynamic-resources.js';
import { formatBootstrapError, parseBootstrap } from './load-bootstrap.js';
import { xdsBootstrap } from './xds-bootstrap.js';

const node = { nodeId: 'n1', namespace: 'default', labels: { app: 'web' }, instanceIps: ['10.0.0.1'] };

describe('dynamic_resources', () => {
  it('reads the management server from the static xds-grpc cluster (STATIC or STRICT_DNS)', () => {
    const byIp = parseBootstrap(JSON.stringify(xdsBootstrap({ ...node, xds: '127.0.0.1:15010' })));
    assert.ok(byIp.ok);
    assert.equal(adsSettings(byIp.bootstrap)?.target, '127.0.0.1:15010');
    assert.equal(adsSettings(byIp.bootstrap)?.setNodeOnFirstMessageOnly, true);
    assert.equal(byIp.bootstrap.node?.cluster, 'web.default');
    const byName = parseBootstrap(JSON.stringify(xdsBootstrap({ ...node, xds: 'istiod.istio-system.svc:15012' })));
    assert.ok(byName.ok);
    assert.equal(adsSettings(byName.bootstrap)?.target, 'dns:istiod.istio-system.svc:15012');
  });

  it('rejects what it cannot do, with the line and field path', () => {
    const yaml = [
      'node: { id: n1 }',
      'dynamic_resources:',
      '  lds_config: { path_config_source: { path: /etc/lds.yaml } }',
      '  ads_config:',
      '    api_type: DELTA_GRPC',
      '    grpc_services: [{ envoy_grpc: { cluster_name: missing } }]',
      '',
    ].join('\n');
    const parsed = parseBootstrap(yaml, 'b.yaml');
    assert.ok(!parsed.ok);
    const lines = parsed.errors.map((e) => formatBootstrapError('b.yaml', e));
    assert.ok(lines.includes('b.yaml:3: dynamic_resources.lds_config.path_config_source: only ads config sources are supported (the proxy has one ADS stream)'), lines.join('\n'));
    assert.ok(lines.includes('b.yaml:5: dynamic_resources.ads_config.api_type: DELTA_GRPC is not supported yet (use GRPC)'), lines.join('\n'));
    assert.ok(lines.includes("b.yaml:6: dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name: no static cluster named 'missing'"), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('node.cluster: node.cluster is required with ads_config')), lines.join('\n'));
  });

  it('refuses rds in a connection manager when there is no control plane', async () => {
    const parsed = parseBootstrap(
      JSON.stringify({
        static_resources: {
          listeners: [
            {
              name: 'l',
              address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
              filter_chains: [
                {
                  filters: [
                    {
                      name: 'hcm',
                      typed_config: {
                        '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                        stat_prefix: 'l',
                        rds: { route_config_name: 'r', config_source: { ads: {} } },
                        http_filters: [
                          { name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
                        ],
                      },
                    },
                  ],
                },
              ],
            },
          ],
        },
      }),
    );
    assert.ok(parsed.ok);
    const server = new ProxyServer({ adminPort: 0, log: () => {} });
    await assert.rejects(server.start(parsed.bootstrap), (err: unknown) => {
      assert.ok(err instanceof ConfigRejected);
      assert.equal(formatPath(err.errors[0]!.path), 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.rds');
      assert.match(err.errors[0]!.message, /rds needs a control plane/);
      return true;
    });
    await server.shutdown(0);
  });
});
