/**
 * A generator for tests: an editable in-memory set of Envoy resources per type (in proto3
 * JSON, as src/translate produces them), returned whole to every proxy; endpoint pushes return
 * only the clusters named in `edsUpdates`.
 */
import type { ConnectedProxy, WatchedNames, XdsGenerator, XdsResource } from '../../src/control/generator.js';
import type { PushRequest } from '../../src/control/push-request.js';
import {
  CLUSTER_TYPE_URL,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
} from '../../src/xds/type-urls.js';

export const CDS = CLUSTER_TYPE_URL;
export const EDS = ENDPOINT_TYPE_URL;
export const LDS = LISTENER_TYPE_URL;
export const RDS = ROUTE_TYPE_URL;

export class TestGenerator implements XdsGenerator {
  readonly typeUrls = [CDS, EDS, LDS, RDS];
  private readonly resources = new Map<string, Map<string, object>>();
  readonly calls: { proxy: ConnectedProxy; typeUrl: string; request: PushRequest; watched: WatchedNames }[] = [];
  prepared: PushRequest[] = [];

  set(typeUrl: string, name: string, resource: object): this {
    let byName = this.resources.get(typeUrl);
    if (!byName) this.resources.set(typeUrl, (byName = new Map()));
    byName.set(name, resource);
    return this;
  }

  remove(typeUrl: string, name: string): this {
    this.resources.get(typeUrl)?.delete(name);
    return this;
  }

  prepare(request: PushRequest): void {
    this.prepared.push(request);
  }

  generate(proxy: ConnectedProxy, typeUrl: string, request: PushRequest, watched: WatchedNames): XdsResource[] {
    this.calls.push({ proxy, typeUrl, request, watched });
    const out: XdsResource[] = [];
    for (const [name, resource] of this.resources.get(typeUrl) ?? []) {
      if (!request.full && request.edsUpdates && !request.edsUpdates.has(name)) continue;
      out.push({ name, resource });
    }
    return out;
  }
}

export function cluster(name: string, connectTimeout = '1s'): object {
  return {
    name,
    type: 'EDS',
    connect_timeout: connectTimeout,
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
  };
}

export function endpoints(clusterName: string, ...addresses: string[]): object {
  return {
    cluster_name: clusterName,
    endpoints: [
      {
        lb_endpoints: addresses.map((address) => ({
          endpoint: { address: { socket_address: { address, port_value: 9080 } } },
        })),
      },
    ],
  };
}

export function listener(name: string, port: number, routeName: string): object {
  return {
    name,
    address: { socket_address: { address: '0.0.0.0', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: name,
              rds: { route_config_name: routeName, config_source: { ads: {}, resource_api_version: 'V3' } },
              http_filters: [
                {
                  name: 'envoy.filters.http.router',
                  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

export function route(name: string, clusterName: string, timeout = '0s'): object {
  return {
    name,
    virtual_hosts: [
      {
        name: 'reviews.default.svc.cluster.local:9080',
        domains: ['reviews', 'reviews.default.svc.cluster.local'],
        routes: [{ match: { prefix: '/' }, route: { cluster: clusterName, timeout } }],
      },
    ],
  };
}

/** The Bookinfo-like world most tests start from: two clusters, their endpoints, one listener and route. */
export function bookinfoGenerator(): TestGenerator {
  const v1 = 'outbound|9080|v1|reviews.default.svc.cluster.local';
  const v2 = 'outbound|9080|v2|reviews.default.svc.cluster.local';
  return new TestGenerator()
    .set(CDS, v1, cluster(v1))
    .set(CDS, v2, cluster(v2))
    .set(EDS, v1, endpoints(v1, '10.0.0.1'))
    .set(EDS, v2, endpoints(v2, '10.0.0.2'))
    .set(LDS, '0.0.0.0_9080', listener('0.0.0.0_9080', 9080, '9080'))
    .set(RDS, '9080', route('9080', v1));
}

export const V1 = 'outbound|9080|v1|reviews.default.svc.cluster.local';
export const V2 = 'outbound|9080|v2|reviews.default.svc.cluster.local';
