/**
 * The bootstrap `skein proxy --xds HOST:PORT` builds in memory, shaped as Istio's sidecar
 * bootstrap: the node (id, cluster, Istio's node metadata), CDS and LDS over ADS, and the
 * management server as the static `xds-grpc` cluster. It can also be added to a bootstrap read
 * from a file (`--config` with `--xds`).
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

export const XDS_CLUSTER_NAME = 'xds-grpc';

export interface XdsBootstrapOptions {
  /** HOST:PORT of the management server. */
  readonly xds: string;
  readonly nodeId: string;
  /** node.cluster; defaults to Istio's `<canonical service>.<namespace>`. */
  readonly cluster?: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** INSTANCE_IPS; defaults to this host's non-loopback addresses, as pilot-agent reports a pod's IPs. */
  readonly instanceIps?: readonly string[];
  /** CLUSTER_ID; Istio's default is `Kubernetes`. */
  readonly clusterId?: string;
  readonly serviceAccount?: string;
  /** More node metadata (strings), e.g. Skein's local-runtime HTTP_PROXY_PORT / SKEIN_APP_PORTS. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** `k=v,k2=v2` → labels; throws with the offending item when one has no `=` or an empty key. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`label '${item}' is not of the form key=value`);
    labels[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return labels;
}

/** HOST:PORT (IPv6 as [addr]:port) → parts; throws when it is not one. */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || !(port > 0 && port < 65536)) throw new Error(`'${text}' is not HOST:PORT`);
  return { host: match[1] ?? match[2]!, port };
}

function localInstanceIps(): string[] {
  const ips: string[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (!a.internal) ips.push(a.address);
  }
  return ips.length > 0 ? ips : ['127.0.0.1'];
}

/**
 * Istio's sidecar node: `cluster` is the canonical service and namespace; metadata uses the
 * NodeMetadata names istiod reads. ISTIO_VERSION is left out on purpose: istiod then assumes
 * the newest proxy rather than an Istio release Skein is not.
 */
export function xdsNode(options: XdsBootstrapOptions): Record<string, unknown> {
  const labels = options.labels;
  const service =
    labels['service.istio.io/canonical-name'] ?? labels['app.kubernetes.io/name'] ?? labels.app ?? 'istio-proxy';
  const metadata: Record<string, unknown> = {
    NAMESPACE: options.namespace,
    LABELS: { ...labels },
    INSTANCE_IPS: (options.instanceIps ?? localInstanceIps()).join(','),
    CLUSTER_ID: options.clusterId ?? 'Kubernetes',
    // Skein captures no traffic (no iptables): applications address the proxy directly.
    INTERCEPTION_MODE: 'NONE',
  };
  if (options.serviceAccount) metadata.SERVICE_ACCOUNT = options.serviceAccount;
  Object.assign(metadata, options.metadata);
  return { id: options.nodeId, cluster: options.cluster ?? `${service}.${options.namespace}`, metadata };
}

/** The management server as a cluster: STATIC for an IP address, STRICT_DNS for a name (Istio's istiod). */
export function xdsCluster(address: string): Record<string, unknown> {
  const { host, port } = parseHostPort(address);
  return {
    name: XDS_CLUSTER_NAME,
    type: isIP(host) ? 'STATIC' : 'STRICT_DNS',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: XDS_CLUSTER_NAME,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }] }],
    },
  };
}

/** dynamic_resources as Istio writes them: CDS and LDS over one ADS stream to xds-grpc. */
export function xdsDynamicResources(): Record<string, unknown> {
  return {
    ads_config: {
      api_type: 'GRPC',
      transport_api_version: 'V3',
      set_node_on_first_message_only: true,
      grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER_NAME } }],
    },
    cds_config: { ads: {}, resource_api_version: 'V3' },
    lds_config: { ads: {}, resource_api_version: 'V3' },
  };
}

/** A whole bootstrap (proto3 JSON) for `skein proxy --xds`. */
export function xdsBootstrap(options: XdsBootstrapOptions): Record<string, unknown> {
  return {
    node: xdsNode(options),
    dynamic_resources: xdsDynamicResources(),
    static_resources: { clusters: [xdsCluster(options.xds)] },
  };
}
