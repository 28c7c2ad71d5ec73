/**
 * istiod's `/debug/config_dump?proxyID=`: what the server last sent a proxy, in the shape of
 * Envoy's admin `ConfigDump` (envoy.admin.v3 Clusters/Endpoints/Listeners/RoutesConfigDump),
 * with each resource in proto3 JSON as it was generated.
 */
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from '../xds/type-urls.js';
import type { XdsConnection } from './connection.js';
import type { HeldResource } from './watched-type.js';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

export function configDumpOf(connection: XdsConnection): object {
  const held = (typeUrl: string) => {
    const watched = connection.watched.get(typeUrl);
    const items: { resource: HeldResource & { json?: object }; version: string; updated: string }[] = [];
    for (const resource of watched?.held.values() ?? []) {
      items.push({ resource, version: watched!.versionSent ?? '', updated: watched!.sentAt?.toISOString() ?? '' });
    }
    return items.filter((i) => i.resource.json !== undefined);
  };
  return {
    configs: [
      {
        '@type': `${ADMIN}ClustersConfigDump`,
        dynamic_active_clusters: held(CLUSTER_TYPE_URL).map((i) => ({
          version_info: i.version,
          cluster: { '@type': CLUSTER_TYPE_URL, ...i.resource.json },
          last_updated: i.updated,
        })),
      },
      {
        '@type': `${ADMIN}EndpointsConfigDump`,
        dynamic_endpoint_configs: held(ENDPOINT_TYPE_URL).map((i) => ({
          version_info: i.version,
          endpoint_config: { '@type': ENDPOINT_TYPE_URL, ...i.resource.json },
          last_updated: i.updated,
        })),
      },
      {
        '@type': `${ADMIN}ListenersConfigDump`,
        dynamic_listeners: held(LISTENER_TYPE_URL).map((i) => ({
          name: i.resource.name,
          active_state: {
            version_info: i.version,
            listener: { '@type': LISTENER_TYPE_URL, ...i.resource.json },
            last_updated: i.updated,
          },
        })),
      },
      {
        '@type': `${ADMIN}RoutesConfigDump`,
        dynamic_route_configs: held(ROUTE_TYPE_URL).map((i) => ({
          version_info: i.version,
          route_config: { '@type': ROUTE_TYPE_URL, ...i.resource.json },
          last_updated: i.updated,
        })),
      },
    ],
  };
}
