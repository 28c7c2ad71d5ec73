/**
 * The bootstrap's `dynamic_resources`: CDS and LDS over one ADS stream to the management
 * server named by `ads_config`, as Istio's sidecar bootstrap sets it up (an `envoy_grpc`
 * service pointing at the static `xds-grpc` cluster). Checked when the bootstrap is read, so a
 * proxy never starts half-configured; `adsSettings` then reads the checked result.
 */
import type { Bootstrap__Output } from '../../xds/generated/envoy/config/bootstrap/v3/Bootstrap.js';
import type { Cluster__Output } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';
import type { ConfigSource__Output } from '../../xds/generated/envoy/config/core/v3/ConfigSource.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { checkAdsConfigSource } from '../xds-client/config-source.js';

export interface AdsSettings {
  /** The gRPC target of the management server, from its static cluster. */
  readonly target: string;
  readonly clusterName: string;
  readonly setNodeOnFirstMessageOnly: boolean;
  /** Absent: no CDS (clusters are static only). */
  readonly cdsConfig: ConfigSource__Output | undefined;
  /** Absent: no LDS (listeners are static only). */
  readonly ldsConfig: ConfigSource__Output | undefined;
}

const PATH: FieldPath = ['dynamic_resources'];

export function checkDynamicResources(bootstrap: Bootstrap__Output, errors: ConfigError[]): void {
  const dynamic = bootstrap.dynamic_resources;
  if (!dynamic) return;
  checkSupported(
    'envoy.config.bootstrap.v3.Bootstrap.DynamicResources',
    dynamic,
    ['lds_config', 'cds_config', 'ads_config'],
    PATH,
    errors,
  );
  if (dynamic.cds_config) checkAdsConfigSource(dynamic.cds_config, [...PATH, 'cds_config'], errors);
  if (dynamic.lds_config) checkAdsConfigSource(dynamic.lds_config, [...PATH, 'lds_config'], errors);
  const ads = dynamic.ads_config;
  if (!ads) {
    if (dynamic.cds_config || dynamic.lds_config) {
      errors.push({ path: [...PATH, 'ads_config'], message: 'ads_config is required for ads config sources' });
    }
    return;
  }
  const adsPath = [...PATH, 'ads_config'];
  checkSupported(
    'envoy.config.core.v3.ApiConfigSource',
    ads,
    ['api_type', 'grpc_services', 'transport_api_version', 'set_node_on_first_message_only'],
    adsPath,
    errors,
  );
  if (ads.api_type === 'DELTA_GRPC') {
    errors.push({ path: [...adsPath, 'api_type'], message: 'DELTA_GRPC is not supported yet (use GRPC)' });
  } else if (ads.api_type !== 'GRPC') {
    errors.push({ path: [...adsPath, 'api_type'], message: 'ads_config needs api_type GRPC' });
  }
  if (ads.transport_api_version !== 'AUTO' && ads.transport_api_version !== 'V3') {
    errors.push({ path: [...adsPath, 'transport_api_version'], message: 'only the v3 xDS API is supported' });
  }
  if (ads.grpc_services.length !== 1) {
    errors.push({ path: [...adsPath, 'grpc_services'], message: 'exactly one grpc_service is required' });
    return;
  }
  const service = ads.grpc_services[0]!;
  const servicePath = [...adsPath, 'grpc_services', 0];
  checkSupported('envoy.config.core.v3.GrpcService', service, ['envoy_grpc'], servicePath, errors);
  const envoyGrpc = service.envoy_grpc;
  if (!envoyGrpc) {
    errors.push({ path: servicePath, message: 'an envoy_grpc service naming a static cluster is required' });
    return;
  }
  checkSupported(
    'envoy.config.core.v3.GrpcService.EnvoyGrpc',
    envoyGrpc,
    ['cluster_name'],
    [...servicePath, 'envoy_grpc'],
    errors,
  );
  const clusterPath = [...servicePath, 'envoy_grpc', 'cluster_name'];
  const cluster = bootstrap.static_resources?.clusters.find((c) => c.name === envoyGrpc.cluster_name);
  if (!cluster) {
    errors.push({ path: clusterPath, message: `no static cluster named '${envoyGrpc.cluster_name}'` });
  } else if (!grpcTarget(cluster)) {
    errors.push({
      path: clusterPath,
      message: `cluster '${cluster.name}' must be STATIC, STRICT_DNS or LOGICAL_DNS with one endpoint address`,
    });
  }
  // Envoy's ADS mux refuses to start without them (Config::Utility::checkLocalInfo).
  if (!bootstrap.node?.id) errors.push({ path: ['node', 'id'], message: 'node.id is required with ads_config' });
  if (!bootstrap.node?.cluster) {
    errors.push({ path: ['node', 'cluster'], message: 'node.cluster is required with ads_config' });
  }
}

/** The checked ADS settings of a bootstrap, or undefined when it has no ads_config. */
export function adsSettings(bootstrap: Bootstrap__Output): AdsSettings | undefined {
  const dynamic = bootstrap.dynamic_resources;
  const ads = dynamic?.ads_config;
  const clusterName = ads?.grpc_services[0]?.envoy_grpc?.cluster_name;
  if (!dynamic || !ads || !clusterName) return undefined;
  const cluster = bootstrap.static_resources?.clusters.find((c) => c.name === clusterName);
  const target = cluster && grpcTarget(cluster);
  if (!target) return undefined;
  return {
    target,
    clusterName,
    setNodeOnFirstMessageOnly: ads.set_node_on_first_message_only,
    cdsConfig: dynamic.cds_config ?? undefined,
    ldsConfig: dynamic.lds_config ?? undefined,
  };
}

/** A gRPC target for the cluster's first endpoint: `ip:port`, or `dns:host:port` for DNS clusters. */
function grpcTarget(cluster: Cluster__Output): string | undefined {
  const socket = cluster.load_assignment?.endpoints[0]?.lb_endpoints[0]?.endpoint?.address?.socket_address;
  if (!socket?.address || !socket.port_value) return undefined;
  const type = cluster.cluster_discovery_type === 'type' || !cluster.cluster_discovery_type ? cluster.type : undefined;
  const host = socket.address.includes(':') ? `[${socket.address}]` : socket.address;
  if (type === 'STATIC') return `${host}:${socket.port_value}`;
  if (type === 'STRICT_DNS' || type === 'LOGICAL_DNS') return `dns:${host}:${socket.port_value}`;
  return undefined;
}
