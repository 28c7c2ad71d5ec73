/**
 * CDS: Istio's cluster builder (pilot/pkg/networking/core/cluster.go, cluster_builder.go).
 * Sidecars get one outbound cluster per visible service port plus one per DestinationRule
 * subset, BlackHoleCluster and PassthroughCluster, an `inbound|port||` cluster per served port,
 * and InboundPassthroughCluster; gateways get the outbound clusters and BlackHoleCluster.
 */
import type { Service, ServicePort } from '../model/index.js';
import {
  applyConnectionPool,
  applyTrafficPolicy,
  effectiveLocalitySetting,
  finishCluster,
  HTTP_PROTOCOL_OPTIONS,
  setUpstreamProtocol,
  type ClusterDraft,
} from './cluster-policy.js';
import { portLevelPolicy, subsetPolicy } from './destination-rules.js';
import { toProtoDuration } from './duration.js';
import { endpointsFor, localityLbEndpoints } from './endpoints.js';
import {
  BLACKHOLE_CLUSTER,
  INBOUND_PASSTHROUGH_BIND_IPV4,
  INBOUND_PASSTHROUGH_CLUSTER,
  inboundClusterName,
  outboundClusterName,
  PASSTHROUGH_CLUSTER,
} from './names.js';
import { memoized, outboundClustersKey } from './memo.js';
import type { ProxyScope, ServiceTarget } from './sidecar-scope.js';
import { adsConfigSource, typedConfig, type Json, type XdsResource } from './xds-resource.js';

/** Istio's cleanup interval for inbound ORIGINAL_DST clusters: the largest Duration (never clean up). */
const MAX_DURATION = '315576000000s';

function discoveryType(service: Service): string {
  switch (service.resolution) {
    case 'DNS':
      return 'STRICT_DNS';
    case 'DNS_ROUND_ROBIN':
      return 'LOGICAL_DNS';
    case 'NONE':
      return 'ORIGINAL_DST';
    default:
      return 'EDS';
  }
}

/** Istio `SelectDNSLookupFamily`: V4_ONLY unless every proxy address is IPv6. */
function dnsLookupFamily(ips: readonly string[]): string {
  return isIpv6Only(ips) ? 'V6_ONLY' : 'V4_ONLY';
}

function isIpv6Only(ips: readonly string[]): boolean {
  return ips.length > 0 && ips.every((ip) => ip.includes(':'));
}

/**
 * Endpoints of a DNS-resolved service; a ServiceEntry without endpoints resolves its own host
 * (Istio serviceentry conversion: the host is the endpoint).
 */
function dnsEndpoints(scope: ProxyScope, service: Service, port: ServicePort, subsetLabels: Readonly<Record<string, string>> | undefined) {
  const eps = endpointsFor(scope.push.endpointsOf(service.hostname), port, subsetLabels);
  if (eps.length > 0 || scope.push.endpointsOf(service.hostname).length > 0 || service.hostname.startsWith('*')) return eps;
  return [
    {
      address: service.hostname,
      port: port.targetPort ?? port.port,
      servicePort: port.port,
      servicePortName: port.name,
      labels: {},
      serviceAccount: '',
      locality: { region: '', zone: '', subzone: '' },
      health: 'HEALTHY' as const,
      weight: 1,
      network: '',
      workloadName: '',
      namespace: service.namespace,
    },
  ];
}

function buildOutboundCluster(scope: ProxyScope, service: Service, port: ServicePort, subset: string): Json | undefined {
  const mesh = scope.push.mesh;
  const name = outboundClusterName(service.hostname, port.port, subset);
  const rule = scope.destinationRule(service.hostname);
  const subsetSpec = subset ? rule?.spec.subsets?.find((s) => s.name === subset) : undefined;
  const policy = subset
    ? subsetPolicy(rule?.spec.trafficPolicy, subsetSpec?.trafficPolicy, port.port)
    : portLevelPolicy(rule?.spec.trafficPolicy, port.port).policy;
  let type = discoveryType(service);
  // A PASSTHROUGH subset becomes ORIGINAL_DST (Istio buildSubsetCluster).
  if (subset && subsetSpec?.trafficPolicy?.loadBalancer?.simple === 'PASSTHROUGH') type = 'ORIGINAL_DST';
  const cluster: Json = { name, type };
  if (type === 'STRICT_DNS' || type === 'LOGICAL_DNS') {
    const eps = dnsEndpoints(scope, service, port, subsetSpec?.labels);
    // Istio drops DNS clusters that have no endpoints.
    if (eps.length === 0) return undefined;
    cluster.dns_lookup_family = dnsLookupFamily(scope.proxy.ipAddresses);
    cluster.dns_refresh_rate = toProtoDuration(mesh.dnsRefreshRate);
    cluster.respect_dns_ttl = true;
    const setting = effectiveLocalitySetting(policy?.loadBalancer, mesh);
    cluster.load_assignment = {
      cluster_name: name,
      endpoints: localityLbEndpoints(eps, scope.proxy.locality, setting, policy?.outlierDetection !== undefined),
    };
  }
  cluster.common_lb_config = {};
  const draft: ClusterDraft = { cluster };
  setUpstreamProtocol(draft, port.protocol, scope.proxy.type === 'sidecar');
  applyTrafficPolicy(draft, policy, { mesh, direction: 'outbound', protocol: port.protocol });
  if (cluster.type === 'EDS') cluster.eds_cluster_config = { eds_config: adsConfigSource(), service_name: name };
  return finishCluster(draft);
}

/** The default cluster of each visible service port, followed by its DestinationRule subsets. */
function outboundClusters(scope: ProxyScope): Json[] {
  const out: Json[] = [];
  for (const service of scope.services) {
    for (const port of service.ports) {
      if (port.protocol === 'UDP') continue;
      const c = buildOutboundCluster(scope, service, port, '');
      if (c) out.push(c);
      for (const subset of scope.destinationRule(service.hostname)?.spec.subsets ?? []) {
        const s = buildOutboundCluster(scope, service, port, subset.name);
        if (s) out.push(s);
      }
    }
  }
  return out;
}

function blackHoleCluster(scope: ProxyScope): Json {
  return { name: BLACKHOLE_CLUSTER, type: 'STATIC', connect_timeout: toProtoDuration(scope.push.mesh.connectTimeout) };
}

/** Istio `buildDefaultPassthroughCluster`: ORIGINAL_DST, downstream protocol, 5 min idle timeout. */
function passthroughCluster(scope: ProxyScope, name = PASSTHROUGH_CLUSTER): Json {
  const cluster: Json = { name, type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' };
  applyConnectionPool({ cluster }, scope.push.mesh, {});
  cluster.typed_extension_protocol_options = {
    [HTTP_PROTOCOL_OPTIONS]: typedConfig(HTTP_PROTOCOL_OPTIONS, {
      common_http_protocol_options: { idle_timeout: '300s' },
      use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
    }),
  };
  // Without interception the destination comes from the request's authority (see routes.ts).
  if (scope.proxy.captureMode === 'http-proxy' && name === PASSTHROUGH_CLUSTER) {
    cluster.original_dst_lb_config = { use_http_header: true, http_header_name: ':authority' };
  }
  return cluster;
}

function inboundPassthroughCluster(scope: ProxyScope): Json {
  return {
    ...passthroughCluster(scope, INBOUND_PASSTHROUGH_CLUSTER),
    upstream_bind_config: { source_address: { address: INBOUND_PASSTHROUGH_BIND_IPV4, port_value: 0 } },
  };
}

/** Where the application serves a target port in `http-proxy` capture mode. */
export function appPortFor(scope: ProxyScope, targetPort: number): number {
  return scope.proxy.appPorts[targetPort] ?? targetPort;
}

/**
 * Istio `buildInboundCluster`: ORIGINAL_DST with the 127.0.0.6 source bind in iptables mode;
 * in http-proxy mode a STATIC cluster whose endpoint is the application's own address.
 */
function inboundCluster(scope: ProxyScope, target: ServiceTarget): Json {
  const name = inboundClusterName(target.targetPort);
  const local = scope.proxy.captureMode === 'http-proxy';
  const cluster: Json = { name, type: local ? 'STATIC' : 'ORIGINAL_DST' };
  if (local) {
    cluster.load_assignment = {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: [
            { endpoint: { address: { socket_address: { address: scope.proxy.appAddress, port_value: appPortFor(scope, target.targetPort) } } } },
          ],
        },
      ],
    };
  } else {
    cluster.cleanup_interval = MAX_DURATION;
  }
  cluster.common_lb_config = {};
  const draft: ClusterDraft = { cluster };
  setUpstreamProtocol(draft, target.port.protocol, true);
  // Server-side circuit breakers follow the DestinationRule too (Istio: "set on the receiver end as well").
  const rule = scope.destinationRule(target.service.hostname);
  const policy = portLevelPolicy(rule?.spec.trafficPolicy, target.port.port).policy;
  const sidecarPool = scope.sidecar?.spec.ingress?.find((i) => i.port.number === target.targetPort)?.connectionPool ?? scope.sidecar?.spec.inboundConnectionPool;
  applyTrafficPolicy(draft, sidecarPool ? { ...policy, connectionPool: sidecarPool } : policy, {
    mesh: scope.push.mesh,
    direction: 'inbound',
    protocol: target.port.protocol,
  });
  if (!local) cluster.upstream_bind_config = { source_address: { address: INBOUND_PASSTHROUGH_BIND_IPV4, port_value: 0 } };
  return finishCluster(draft);
}

/** One inbound cluster per target port (Istio keys inbound clusters by the port the workload listens on). */
function inboundClusters(scope: ProxyScope): Json[] {
  const seen = new Set<number>();
  const out: Json[] = [];
  for (const t of scope.targets) {
    if (seen.has(t.targetPort) || t.port.protocol === 'UDP') continue;
    seen.add(t.targetPort);
    out.push(inboundCluster(scope, t));
  }
  return out;
}

/** Cluster fields in Envoy's proto field order, so output reads like config_dump. */
const CLUSTER_FIELD_ORDER = [
  'name',
  'type',
  'eds_cluster_config',
  'connect_timeout',
  'lb_policy',
  'load_assignment',
  'circuit_breakers',
  'typed_extension_protocol_options',
  'dns_refresh_rate',
  'respect_dns_ttl',
  'dns_lookup_family',
  'outlier_detection',
  'cleanup_interval',
  'upstream_bind_config',
  'common_lb_config',
  'upstream_connection_options',
  'ring_hash_lb_config',
  'maglev_lb_config',
  'least_request_lb_config',
  'round_robin_lb_config',
];

function inFieldOrder(c: Json): Json {
  const out: Json = {};
  for (const k of CLUSTER_FIELD_ORDER) if (c[k] !== undefined) out[k] = c[k];
  for (const [k, v] of Object.entries(c)) if (!(k in out) && v !== undefined) out[k] = v;
  return out;
}

export function generateClusters(scope: ProxyScope, names?: readonly string[]): XdsResource[] {
  const outbound = memoized(scope.push, outboundClustersKey(scope.proxy, isIpv6Only(scope.proxy.ipAddresses)), () =>
    outboundClusters(scope).map(inFieldOrder),
  );
  const own: Json[] = [blackHoleCluster(scope)];
  if (scope.proxy.type === 'sidecar') {
    own.push(passthroughCluster(scope), ...inboundClusters(scope));
    if (scope.proxy.captureMode === 'iptables') own.push(inboundPassthroughCluster(scope));
  }
  const clusters = [...outbound, ...own.map(inFieldOrder)];
  const seen = new Set<string>();
  const out: XdsResource[] = [];
  for (const c of clusters) {
    const name = c.name as string;
    if (seen.has(name) || (names && names.length > 0 && !names.includes(name))) continue;
    seen.add(name);
    out.push({ name, resource: c });
  }
  return out;
}
