/**
 * CDS: Istio's cluster builder (pilot/pkg/networking/core/cluster.go, cluster_builder.go).
 * Sidecars get one outbound cluster per visible service port plus one per DestinationRule
 * subset, BlackHoleCluster and PassthroughCluster, an `inbound|port||` cluster per served port,
 * and InboundPassthroughCluster; gateways get the outbound clusters and BlackHoleCluster.
 */
import type { Locality, Proxy, Service, ServicePort } from '../model/index.js';
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
import type { ProxyScope, ServiceTarget, SidecarScope } from './sidecar-scope.js';
import { adsConfigSource, typedConfig, type Json, type XdsResource } from './xds-resource.js';

/** What outbound DNS clusters read from the proxy besides its SidecarScope (their load assignment and lookup family). */
interface DnsView {
  readonly locality: Locality;
  readonly ipv6Only: boolean;
}

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

function isDnsType(type: string): boolean {
  return type === 'STRICT_DNS' || type === 'LOGICAL_DNS';
}

/** Istio `SelectDNSLookupFamily`: V4_ONLY unless every proxy address is IPv6. */
function isIpv6Only(ips: readonly string[]): boolean {
  return ips.length > 0 && ips.every((ip) => ip.includes(':'));
}

/**
 * Endpoints of a DNS-resolved service; a ServiceEntry without endpoints resolves its own host
 * (Istio serviceentry conversion: the host is the endpoint).
 */
function dnsEndpoints(scope: SidecarScope, service: Service, port: ServicePort, subsetLabels: Readonly<Record<string, string>> | undefined) {
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

function buildOutboundCluster(scope: SidecarScope, dns: DnsView, service: Service, port: ServicePort, subset: string): Json | undefined {
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
  if (isDnsType(type)) {
    const eps = dnsEndpoints(scope, service, port, subsetSpec?.labels);
    // Istio drops DNS clusters that have no endpoints.
    if (eps.length === 0) return undefined;
    cluster.dns_lookup_family = dns.ipv6Only ? 'V6_ONLY' : 'V4_ONLY';
    cluster.dns_refresh_rate = toProtoDuration(mesh.dnsRefreshRate);
    cluster.respect_dns_ttl = true;
    const setting = effectiveLocalitySetting(policy?.loadBalancer, mesh);
    cluster.load_assignment = {
      cluster_name: name,
      endpoints: localityLbEndpoints(eps, dns.locality, setting, policy?.outlierDetection !== undefined),
    };
  }
  cluster.common_lb_config = {};
  const draft: ClusterDraft = { cluster };
  setUpstreamProtocol(draft, port.protocol, scope.view.type === 'sidecar');
  applyTrafficPolicy(draft, policy, { mesh, direction: 'outbound', protocol: port.protocol });
  if (cluster.type === 'EDS') cluster.eds_cluster_config = { eds_config: adsConfigSource(), service_name: name };
  return finishCluster(draft);
}

/** The default cluster of each visible service port, followed by its DestinationRule subsets. */
function outboundClusters(scope: SidecarScope, dns: DnsView): Json[] {
  const out: Json[] = [];
  for (const service of scope.services) {
    for (const port of service.ports) {
      if (port.protocol === 'UDP') continue;
      const c = buildOutboundCluster(scope, dns, service, port, '');
      if (c) out.push(c);
      for (const subset of scope.destinationRule(service.hostname)?.spec.subsets ?? []) {
        const s = buildOutboundCluster(scope, dns, service, port, subset.name);
        if (s) out.push(s);
      }
    }
  }
  return out;
}

function blackHoleCluster(scope: SidecarScope): Json {
  return { name: BLACKHOLE_CLUSTER, type: 'STATIC', connect_timeout: toProtoDuration(scope.push.mesh.connectTimeout) };
}

/** Istio `buildDefaultPassthroughCluster`: ORIGINAL_DST, downstream protocol, 5 min idle timeout. */
function passthroughCluster(scope: SidecarScope, name = PASSTHROUGH_CLUSTER): Json {
  const cluster: Json = { name, type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' };
  applyConnectionPool({ cluster }, scope.push.mesh, {});
  cluster.typed_extension_protocol_options = {
    [HTTP_PROTOCOL_OPTIONS]: typedConfig(HTTP_PROTOCOL_OPTIONS, {
      common_http_protocol_options: { idle_timeout: '300s' },
      use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
    }),
  };
  // Without interception the destination comes from the request's authority (see routes.ts).
  if (scope.view.captureMode === 'http-proxy' && name === PASSTHROUGH_CLUSTER) {
    cluster.original_dst_lb_config = { use_http_header: true, http_header_name: ':authority' };
  }
  return cluster;
}

function inboundPassthroughCluster(scope: SidecarScope): Json {
  return {
    ...passthroughCluster(scope, INBOUND_PASSTHROUGH_CLUSTER),
    upstream_bind_config: { source_address: { address: INBOUND_PASSTHROUGH_BIND_IPV4, port_value: 0 } },
  };
}

/** Where the application serves a target port in `http-proxy` capture mode. */
export function appPortFor(proxy: Pick<Proxy, 'appPorts'>, targetPort: number): number {
  return proxy.appPorts[targetPort] ?? targetPort;
}

/** The application's address for an inbound cluster in `http-proxy` mode (undefined when traffic is intercepted). */
interface AppAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * Istio `buildInboundCluster`: ORIGINAL_DST with the 127.0.0.6 source bind in iptables mode;
 * in http-proxy mode a STATIC cluster whose endpoint is the application's own address.
 */
function inboundCluster(scope: SidecarScope, target: ServiceTarget, app: AppAddress | undefined): Json {
  const name = inboundClusterName(target.targetPort);
  const cluster: Json = { name, type: app ? 'STATIC' : 'ORIGINAL_DST' };
  if (app) {
    cluster.load_assignment = {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: app.address, port_value: app.port } } } }] }],
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
  if (!app) cluster.upstream_bind_config = { source_address: { address: INBOUND_PASSTHROUGH_BIND_IPV4, port_value: 0 } };
  return finishCluster(draft);
}

/**
 * One inbound cluster per target port (Istio keys inbound clusters by the port the workload
 * listens on). Replicas of a workload share them: the key is everything `inboundCluster` reads
 * besides the scope.
 */
function inboundClusters(p: ProxyScope): XdsResource[] {
  const seen = new Set<number>();
  const out: XdsResource[] = [];
  const local = p.scope.view.captureMode === 'http-proxy';
  for (const t of p.targets) {
    if (seen.has(t.targetPort) || t.port.protocol === 'UDP') continue;
    seen.add(t.targetPort);
    const app = local ? { address: p.proxy.appAddress, port: appPortFor(p.proxy, t.targetPort) } : undefined;
    const key = JSON.stringify(['cds-inbound', t.targetPort, t.service.hostname, t.port.name, t.port.port, t.port.protocol, app?.address, app?.port]);
    out.push(p.scope.memo(key, () => resourceOf(inFieldOrder(inboundCluster(p.scope, t, app)))));
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

function resourceOf(cluster: Json): XdsResource {
  return { name: cluster.name as string, resource: cluster };
}

/** Clusters every proxy of the scope gets: `before` its inbound clusters, then InboundPassthroughCluster. */
function sharedClusters(scope: SidecarScope, dns: DnsView): { before: readonly XdsResource[]; inboundPassthrough?: XdsResource } {
  const l = dns.locality;
  const key = JSON.stringify(['cds', l.region, l.zone, l.subzone, dns.ipv6Only]);
  return scope.memo(key, () => {
    const before = outboundClusters(scope, dns).map((c) => resourceOf(inFieldOrder(c)));
    before.push(resourceOf(inFieldOrder(blackHoleCluster(scope))));
    if (scope.view.type !== 'sidecar') return { before };
    before.push(resourceOf(inFieldOrder(passthroughCluster(scope))));
    if (scope.view.captureMode !== 'iptables') return { before };
    return { before, inboundPassthrough: resourceOf(inFieldOrder(inboundPassthroughCluster(scope))) };
  });
}

/** DNS clusters are the only ones that read the proxy's locality and IP family; without them every proxy of the scope shares one list. */
const NO_DNS: DnsView = { locality: { region: '', zone: '', subzone: '' }, ipv6Only: false };

function hasDnsClusters(scope: SidecarScope): boolean {
  return scope.memo('cds-has-dns', () => scope.services.some((s) => isDnsType(discoveryType(s))));
}

/** CDS: the scope's shared clusters plus this proxy's inbound clusters; `names` narrows them. */
export function generateClusters(p: ProxyScope, names?: readonly string[]): XdsResource[] {
  const dns = hasDnsClusters(p.scope) ? { locality: p.proxy.locality, ipv6Only: isIpv6Only(p.proxy.ipAddresses) } : NO_DNS;
  const shared = sharedClusters(p.scope, dns);
  const clusters = p.proxy.type === 'sidecar' ? [...shared.before, ...inboundClusters(p)] : [...shared.before];
  if (shared.inboundPassthrough) clusters.push(shared.inboundPassthrough);
  const wanted = names && names.length > 0 ? new Set(names) : undefined;
  const seen = new Set<string>();
  const out: XdsResource[] = [];
  for (const c of clusters) {
    if (seen.has(c.name) || (wanted && !wanted.has(c.name))) continue;
    seen.add(c.name);
    out.push(c);
  }
  return out;
}
