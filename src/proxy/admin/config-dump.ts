/**
 * Envoy's admin `/config_dump` (envoy.admin.v3.ConfigDump): the bootstrap and the static
 * listeners and clusters in effect, as proto3 JSON with "@type" on every dump section.
 */
import { lookupMessage, TYPE_URL_PREFIX } from '../../xds/protos.js';

function toJson(typeName: string, value: object): unknown {
  const type = lookupMessage(typeName);
  if (!type) return value;
  return type.toObject(type.fromObject(value), { json: true, enums: String, longs: String, defaults: false });
}

export interface ConfigDumpSources {
  readonly bootstrap: object;
  readonly listeners: readonly object[];
  readonly clusters: readonly object[];
  readonly lastUpdated: string;
}

export function buildConfigDump(sources: ConfigDumpSources): unknown {
  const at = (name: string) => `${TYPE_URL_PREFIX}envoy.admin.v3.${name}`;
  return {
    configs: [
      {
        '@type': at('BootstrapConfigDump'),
        bootstrap: toJson('envoy.config.bootstrap.v3.Bootstrap', sources.bootstrap),
        last_updated: sources.lastUpdated,
      },
      {
        '@type': at('ClustersConfigDump'),
        static_clusters: sources.clusters.map((cluster) => ({
          cluster: {
            '@type': `${TYPE_URL_PREFIX}envoy.config.cluster.v3.Cluster`,
            ...(toJson('envoy.config.cluster.v3.Cluster', cluster) as object),
          },
          last_updated: sources.lastUpdated,
        })),
      },
      {
        '@type': at('ListenersConfigDump'),
        static_listeners: sources.listeners.map((listener) => ({
          listener: {
            '@type': `${TYPE_URL_PREFIX}envoy.config.listener.v3.Listener`,
            ...(toJson('envoy.config.listener.v3.Listener', listener) as object),
          },
          last_updated: sources.lastUpdated,
        })),
      },
    ],
  };
}
