/**
 * Proxyless gRPC (Istio pilot/pkg/networking/grpcgen, node metadata GENERATOR=grpc): API
 * listeners named `host:port` whose HCM fetches route config `outbound|port||host` over ADS,
 * route configs holding the virtual hosts for that host, EDS clusters by name. Only what
 * @grpc/grpc-js-xds accepts: fault and router filters, ROUND_ROBIN / RING_HASH clusters, a
 * locality on every endpoint group.
 */
import type { Service } from '../model/index.js';
import { applyLoadBalancer } from './cluster-policy.js';
import { clusterPolicyContext } from './endpoints.js';
import { faultFilter, HCM_TYPE, routerFilter } from './hcm.js';
import { domainName, outboundClusterName, parseSubsetKey } from './names.js';
import { sidecarVirtualHosts } from './routes.js';
import type { SidecarScope } from './sidecar-scope.js';
import { socketAddress, typedConfig, type Json, type XdsResource } from './xds-resource.js';

interface RequestedListener {
  /** Names as requested (short or FQDN). */
  readonly requested: Set<string>;
  /** Ports asked for; undefined = every port. */
  ports: Set<number> | undefined;
}

/** Istio `tryFindFQDN`: `reviews` or `reviews.default[.svc]` → `reviews.default.svc.cluster.local` for a proxy in that namespace. */
function tryFindFqdn(name: string, scope: SidecarScope): string | undefined {
  const domain = scope.view.dnsDomain;
  if (!name.includes('.')) return `${name}.${domain}`;
  for (const suffix of [scope.view.namespace, `${scope.view.namespace}.svc`]) {
    const short = name.endsWith(`.${suffix}`) ? name.slice(0, -suffix.length - 1) : name;
    if (short !== name && domain.startsWith(suffix)) return `${short}.${domain}`;
  }
  return undefined;
}

function splitHostPort(name: string): [string, number | undefined] {
  const m = /^(.*):(\d+)$/.exec(name);
  return m ? [m[1] ?? '', Number(m[2])] : [name, undefined];
}

/** Istio `newListenerNameFilter`: requested names by FQDN. */
function listenerFilter(names: readonly string[], scope: SidecarScope): Map<string, RequestedListener> {
  const out = new Map<string, RequestedListener>();
  for (const name of names) {
    const [host, port] = splitHostPort(name);
    for (const key of [host, tryFindFqdn(host, scope)]) {
      if (!key) continue;
      let entry = out.get(key);
      const existed = entry !== undefined;
      if (!entry) out.set(key, (entry = { requested: new Set(), ports: new Set() }));
      entry.requested.add(host);
      if (port !== undefined && (!existed || entry.ports !== undefined)) entry.ports?.add(port);
      else if (port === undefined) entry.ports = undefined;
    }
  }
  return out;
}

function apiListener(name: string, service: Service, port: number): Json {
  return {
    name,
    address: socketAddress(service.addresses[0] ?? '0.0.0.0', port),
    api_listener: {
      api_listener: typedConfig(HCM_TYPE, {
        http_filters: [faultFilter(), routerFilter()],
        rds: { config_source: { ads: {} }, route_config_name: outboundClusterName(service.hostname, port) },
      }),
    },
  };
}

export function grpcListeners(scope: SidecarScope, names?: readonly string[]): XdsResource[] {
  const filter = names && names.length > 0 ? listenerFilter(names, scope) : undefined;
  const out: XdsResource[] = [];
  for (const service of scope.services) {
    const match = filter ? filter.get(service.hostname) : { requested: new Set([service.hostname]), ports: undefined };
    if (!match) continue;
    for (const host of [...match.requested].sort()) {
      for (const p of service.ports) {
        if (match.ports && !match.ports.has(p.port)) continue;
        const name = domainName(host, p.port);
        out.push({ name, resource: apiListener(name, service, p.port) });
      }
    }
  }
  return out;
}

/** Istio grpcgen `filterVirtualHostsForHostname`. */
function hostMatches(domains: readonly string[], hostname: string, port: number): boolean {
  const want = hostname.toLowerCase();
  for (const raw of domains) {
    const d = raw.toLowerCase();
    if (d === want || d === domainName(want, port)) return true;
    const [dh, dp] = splitHostPort(d);
    if (dh.startsWith('*') && (dp === undefined || dp === port) && want.endsWith(dh.slice(1))) return true;
    if (dh === want && (dp === undefined || dp === port)) return true;
  }
  return false;
}

export function grpcRouteConfig(scope: SidecarScope, routeName: string): Json | undefined {
  const key = parseSubsetKey(routeName);
  if (!key) return undefined;
  const vhosts = sidecarVirtualHosts(scope, key.port, true).filter((vh) => hostMatches(vh.domains as string[], key.hostname, key.port));
  return { name: routeName, virtual_hosts: vhosts };
}

/** Istio grpcgen `edsCluster` + its traffic policy (TLS left out: Skein has no certificates yet). */
function grpcCluster(scope: SidecarScope, name: string): Json | undefined {
  const key = parseSubsetKey(name);
  if (!key || key.direction !== 'outbound') return undefined;
  const service = scope.serviceByHost.get(key.hostname);
  if (!service || !service.ports.some((p) => p.port === key.port)) return undefined;
  const { subsetSpec, policy } = clusterPolicyContext(scope, service, key.port, key.subset);
  if (key.subset && !subsetSpec) return undefined;
  const cluster: Json = { name, type: 'EDS', eds_cluster_config: { eds_config: { ads: {} }, service_name: name } };
  const lb = policy?.loadBalancer;
  if (lb?.consistentHash) applyLoadBalancer(cluster, lb, false);
  else if (lb?.simple === 'LEAST_REQUEST' || lb?.simple === 'LEAST_CONN') cluster.lb_policy = 'LEAST_REQUEST';
  const maxRequests = policy?.connectionPool?.http?.http2MaxRequests;
  if (maxRequests && maxRequests > 0) cluster.circuit_breakers = { thresholds: [{ max_requests: maxRequests }] };
  return cluster;
}

/** Every visible service port and subset. */
function allClusterNames(scope: SidecarScope): string[] {
  const out: string[] = [];
  for (const s of scope.services) {
    for (const p of s.ports) {
      out.push(outboundClusterName(s.hostname, p.port));
      for (const subset of scope.destinationRule(s.hostname)?.spec.subsets ?? []) out.push(outboundClusterName(s.hostname, p.port, subset.name));
    }
  }
  return out;
}

/** Requested clusters; with no names, every visible service port and subset. Each is built once per scope. */
export function grpcClusters(scope: SidecarScope, names?: readonly string[]): XdsResource[] {
  const wanted = names && names.length > 0 ? names : scope.memo('grpc-cds-names', () => allClusterNames(scope));
  const built = scope.memo('grpc-cds', () => new Map<string, XdsResource | undefined>());
  const out: XdsResource[] = [];
  for (const name of wanted) {
    if (!built.has(name)) {
      const c = grpcCluster(scope, name);
      built.set(name, c ? { name, resource: c } : undefined);
    }
    const resource = built.get(name);
    if (resource) out.push(resource);
  }
  return out;
}
