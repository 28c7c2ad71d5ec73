/**
 * xDS test fixtures: Envoy resources as proto3 JSON (what a control plane sends) and an
 * in-process Skein proxy bootstrapped from an ADS server, as `skein proxy --xds` does.
 */
import { parseBootstrap } from '../../src/proxy/bootstrap/load-bootstrap.js';
import { xdsBootstrap, type XdsBootstrapOptions } from '../../src/proxy/bootstrap/xds-bootstrap.js';
import { ProxyServer } from '../../src/proxy/server.js';
import { JitteredExponentialBackoff } from '../../src/proxy/xds-client/backoff.js';

const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const ADS = { ads: {}, resource_api_version: 'V3' };

export function edsCluster(name: string): object {
  return { name, type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: ADS } };
}

export function loadAssignment(name: string, ports: readonly number[]): object {
  return {
    cluster_name: name,
    endpoints: [
      {
        lb_endpoints: ports.map((port) => ({
          endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } },
        })),
      },
    ],
  };
}

/** An HTTP listener whose connection manager takes its routes from RDS `routeConfigName`. */
export function rdsListener(name: string, port: number, routeConfigName: string, extra: object = {}): object {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM_TYPE,
              stat_prefix: name,
              rds: { route_config_name: routeConfigName, config_source: ADS },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
            },
          },
        ],
      },
    ],
    ...extra,
  };
}

/** A route configuration sending everything to `cluster`. */
export function routeTo(name: string, cluster: string): object {
  return {
    name,
    virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }],
  };
}

export const TEST_NODE: Omit<XdsBootstrapOptions, 'xds'> = {
  nodeId: 'sidecar~127.0.0.1~echo-client-1.default~default.svc.cluster.local',
  namespace: 'default',
  labels: { app: 'echo-client', version: 'v1' },
  instanceIps: ['127.0.0.1'],
};

export interface XdsProxy {
  readonly server: ProxyServer;
  /** Resolves when the proxy is LIVE (rejects with its config errors). */
  readonly started: Promise<void>;
  readonly adminPort: number;
  close(): Promise<void>;
}

/**
 * Starts a proxy against the ADS server at `target`; `edit` may change the bootstrap JSON
 * first. The admin API is up when this resolves; the proxy may still be initializing.
 */
export async function startXdsProxy(target: string, edit?: (bootstrap: Record<string, unknown>) => void): Promise<XdsProxy> {
  const json = xdsBootstrap({ ...TEST_NODE, xds: target });
  edit?.(json);
  const parsed = parseBootstrap(JSON.stringify(json));
  if (!parsed.ok) throw new Error(`bad test bootstrap: ${JSON.stringify(parsed.errors)}`);
  const server = new ProxyServer({
    adminPort: 0,
    drainTimeMs: 2000,
    log: () => {},
    xdsBackoff: new JitteredExponentialBackoff(50, 400),
  });
  const started = server.start(parsed.bootstrap);
  started.catch(() => {});
  while (server.adminPort === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
  return { server, started, adminPort: server.adminPort, close: () => server.shutdown(0) };
}
