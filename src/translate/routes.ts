/**
 * RDS for sidecars (Istio httproute.go `buildSidecarOutboundHTTPRouteConfig`,
 * `BuildSidecarOutboundVirtualHosts`, route.go `BuildSidecarVirtualHostWrapper`): route configs
 * named by port (`9080`) holding one virtual host per service reachable on that port, routes
 * from the VirtualService for that host or a `default` route, and a catch-all `allow_any` /
 * `block_all` virtual host; plus `http_proxy`, the route config of the HTTP proxy listener, whose
 * virtual hosts cover every service port as `host:port`.
 */
import { hostsOverlap, isHttpProtocol, isWildcardHost, type Service, type ServicePort } from '../model/index.js';
import { virtualHostDomains } from './domains.js';
import { hashForDestination, hashForServicePort } from './hashing.js';
import { ALLOW_ANY, BLOCK_ALL, domainName, HTTP_PROXY_ROUTE, outboundClusterName, PASSTHROUGH_CLUSTER } from './names.js';
import { buildRoutesForVirtualService, defaultOutboundRoute, destinationCluster, hashPolicy, type RouteOptions } from './route-translate.js';
import type { SidecarScope } from './sidecar-scope.js';
import { MESH_GATEWAY, type ResolvedVirtualService } from './virtual-services.js';
import type { Json } from './xds-resource.js';

/** Istio `DefaultMaxDirectResponseBodySizeBytes`. */
export const MAX_DIRECT_RESPONSE_BODY_BYTES = 1024 * 1024;

interface VirtualHostWrapper {
  readonly port: number;
  readonly services: readonly Service[];
  /** VirtualService hosts that are not registry services. */
  readonly vsHosts: readonly string[];
  readonly routes: readonly Json[];
}

/** HTTP or sniffed (unnamed) ports get HTTP virtual hosts (Istio `IsHTTPOrSniffed`). */
function isHttpOrSniffed(port: ServicePort): boolean {
  return isHttpProtocol(port.protocol) || port.protocol === 'UnsupportedProtocol';
}

export function routeOptions(scope: SidecarScope, listenPort: number, grpc: boolean): RouteOptions {
  return {
    view: scope.view,
    mesh: scope.push.mesh,
    listenPort,
    gatewayNames: new Set([MESH_GATEWAY]),
    isTls: false,
    grpc,
    lookupService: (h) => scope.serviceByHost.get(h),
    lookupHash: (d) => hashForDestination(scope.destinationRule(d.host), d),
  };
}

/** Istio's `MostSpecificWildcardVirtualServiceIndex`: each service goes to the longest wildcard VS host covering it. */
function mostSpecificWildcard(vss: readonly ResolvedVirtualService[], services: Iterable<Service>): Map<string, ResolvedVirtualService> {
  const out = new Map<string, { vs: ResolvedVirtualService; len: number }>();
  for (const s of services) {
    for (const vs of vss) {
      for (const h of vs.spec.hosts ?? []) {
        if (!isWildcardHost(h) || !hostsOverlap(s.hostname, h)) continue;
        const best = out.get(s.hostname);
        if (!best || h.length > best.len) out.set(s.hostname, { vs, len: h.length });
      }
    }
  }
  return new Map([...out].map(([k, v]) => [k, v.vs]));
}

/** Istio `separateVSHostsAndServices`. */
function separateHosts(vs: ResolvedVirtualService, services: ReadonlyMap<string, Service>, wildcardIndex: Map<string, ResolvedVirtualService>) {
  const vsHosts: string[] = [];
  const matched: Service[] = [];
  for (const raw of vs.spec.hosts ?? []) {
    const h = raw.toLowerCase();
    if (!isWildcardHost(h)) {
      const svc = services.get(h);
      if (svc) matched.push(svc);
      else vsHosts.push(raw);
      continue;
    }
    if (vs.gatewaySemantics) {
      vsHosts.push(h);
      continue;
    }
    let found = false;
    for (const svc of services.values()) {
      if (!hostsOverlap(svc.hostname, h)) continue;
      found = true;
      if (wildcardIndex.get(svc.hostname) === vs) matched.push(svc);
    }
    if (!found) vsHosts.push(h);
  }
  return { vsHosts, matched };
}

/** Istio `selectVirtualServices`: VirtualServices with a host among the services (or overlapping a wildcard). */
function selectVirtualServices(vss: readonly ResolvedVirtualService[], services: ReadonlyMap<string, Service>): ResolvedVirtualService[] {
  return vss.filter((vs) =>
    (vs.spec.hosts ?? []).some((raw) => {
      const h = raw.toLowerCase();
      if (services.has(h)) return true;
      for (const s of services.keys()) if (hostsOverlap(h, s) && (isWildcardHost(h) || isWildcardHost(s))) return true;
      return false;
    }),
  );
}

/**
 * Istio `BuildSidecarVirtualHostWrapper`. With a listener port, routes are built for that port;
 * for the HTTP proxy (`listenPort` 0) Skein builds each VirtualService's routes once per service
 * port, so destinations without a port resolve to the port the client asked for.
 */
function virtualHostWrappers(scope: SidecarScope, services: ReadonlyMap<string, Service>, listenPort: number, grpc: boolean): VirtualHostWrapper[] {
  const vss = listenPort === 80 ? scope.meshVirtualServices : selectVirtualServices(scope.meshVirtualServices, services);
  const wildcardIndex = mostSpecificWildcard(vss, services.values());
  const out: VirtualHostWrapper[] = [];
  const covered = new Set<string>();
  for (const vs of vss) {
    const { vsHosts, matched } = separateHosts(vs, services, wildcardIndex);
    // Gateway API mesh routes apply to consumers in the route's namespace, or to the service's own namespace (GAMMA).
    const usable = vs.gatewaySemantics
      ? matched.filter((s) => s.namespace === vs.config.namespace || scope.view.namespace === vs.config.namespace)
      : matched;
    if (vs.gatewaySemantics && usable.length === 0) continue;
    const byPort = new Map<number, Service[]>();
    for (const svc of usable) {
      for (const p of svc.ports) {
        if (!isHttpOrSniffed(p) || (listenPort !== 0 && p.port !== listenPort)) continue;
        byPort.set(p.port, [...(byPort.get(p.port) ?? []), svc]);
      }
    }
    if (byPort.size === 0 && listenPort === 80) byPort.set(80, []);
    for (const [port, svcs] of [...byPort].sort(([a], [b]) => a - b)) {
      const routes = buildRoutesForVirtualService(vs.spec.http ?? [], vs.config.name, vs.gatewaySemantics, routeOptions(scope, listenPort || port, grpc));
      if (routes.length === 0) continue;
      out.push({ port, services: svcs, vsHosts, routes });
      for (const s of svcs) covered.add(`${s.hostname}:${port}`);
    }
  }
  for (const svc of services.values()) {
    for (const p of svc.ports) {
      if (!isHttpOrSniffed(p) || (listenPort !== 0 && p.port !== listenPort) || covered.has(`${svc.hostname}:${p.port}`)) continue;
      if ([...out].some((w) => w.services.includes(svc) && w.port === p.port)) continue;
      const cluster = outboundClusterName(svc.hostname, p.port);
      const hash = hashPolicy(hashForServicePort(scope.destinationRule(svc.hostname), p.port));
      out.push({ port: p.port, services: [svc], vsHosts: [], routes: [defaultOutboundRoute(cluster, `${svc.hostname}:${p.port}/*`, scope.push.mesh, hash, grpc)] });
    }
  }
  return out;
}

/**
 * Virtual hosts for a sidecar route config. `listenPort` 0 builds the HTTP proxy's hosts: every
 * port, only `host:port` domains (Istio `mergeAllVirtualHosts`; port 80 keeps bare names too).
 */
export function sidecarVirtualHosts(scope: SidecarScope, listenPort: number, grpc = false): Json[] {
  const services = new Map<string, Service>();
  for (const s of scope.services) {
    if (listenPort === 0 || s.ports.some((p) => p.port === listenPort)) services.set(s.hostname.toLowerCase(), s);
  }
  const wrappers = virtualHostWrappers(scope, services, listenPort, grpc);
  // Proxyless gRPC and the HTTP proxy match on host:port; sidecar port routes ignore the port.
  const ignorePort = !grpc && listenPort !== 0;
  const knownFqdn = new Set<string>();
  for (const w of wrappers) for (const s of w.services) knownFqdn.add(domainName(s.hostname, w.port)).add(s.hostname);
  const usedNames = new Set<string>();
  const usedDomains = new Set<string>();
  const byPort = new Map<number, Json[]>();
  const build = (hostname: string, w: VirtualHostWrapper, svc: Service | undefined): Json | undefined => {
    const name = domainName(hostname, w.port);
    if (usedNames.has(name)) return undefined; // Istio: duplicate domain, first VirtualService wins
    usedNames.add(name);
    let domains: string[];
    let altHosts: string[] = [];
    if (!svc) domains = ignorePort ? [hostname] : [hostname, name];
    else ({ domains, altHosts } = virtualHostDomains(svc, ignorePort ? 0 : w.port, scope.view.dnsDomain));
    domains = domains.filter((d) => {
      const lower = d.toLowerCase();
      if (usedDomains.has(lower) || (altHosts.includes(d) && knownFqdn.has(d))) return false;
      usedDomains.add(lower);
      return true;
    });
    if (domains.length === 0) return undefined;
    return { name, domains, routes: w.routes };
  };
  for (const w of wrappers) {
    if (w.routes.length === 0) continue;
    const list = byPort.get(w.port) ?? [];
    byPort.set(w.port, list);
    for (const h of w.vsHosts) {
      const vh = build(h.toLowerCase(), w, undefined);
      if (vh) list.push(vh);
    }
    for (const s of w.services) {
      const vh = build(s.hostname, w, s);
      if (vh) list.push(vh);
    }
  }
  let vhosts: Json[];
  if (listenPort !== 0) vhosts = byPort.get(listenPort) ?? [];
  else {
    vhosts = [];
    for (const [port, list] of byPort) {
      for (const vh of list) {
        if (port !== 80) vh.domains = (vh.domains as string[]).filter((d) => d.includes(':'));
        if ((vh.domains as string[]).length > 0) vhosts.push(vh);
      }
    }
  }
  // Istio `SortVirtualHosts`: by name.
  return vhosts.sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : (a.name as string) > (b.name as string) ? 1 : 0));
}

/** Istio `buildCatchAllVirtualHost`: `allow_any` to PassthroughCluster (or the egress proxy), or `block_all` answering 502. */
export function catchAllVirtualHost(scope: SidecarScope): Json {
  if (scope.outboundMode === 'ALLOW_ANY') {
    const cluster = scope.egressProxy ? destinationCluster(scope.egressProxy, undefined, 0) : PASSTHROUGH_CLUSTER;
    if (scope.view.captureMode === 'http-proxy' && !scope.egressProxy) return httpProxyAllowAny();
    return {
      name: ALLOW_ANY,
      domains: ['*'],
      routes: [{ name: ALLOW_ANY, match: { prefix: '/' }, route: { cluster, timeout: '0s' } }],
    };
  }
  return {
    name: BLOCK_ALL,
    domains: ['*'],
    routes: [{ name: BLOCK_ALL, match: { prefix: '/' }, direct_response: { status: 502 } }],
  };
}

/** `10.0.0.1:8080` or `[::1]:8080`. */
const IP_PORT_AUTHORITY = '^((\\d{1,3}\\.){3}\\d{1,3}|\\[[0-9a-fA-F:.]+\\]):\\d{1,5}$';

/**
 * ALLOW_ANY without interception: there is no original destination, so PassthroughCluster takes
 * it from the request's authority, which must be `ip:port` (a name would need DNS, and Envoy's
 * fallback, the listener's own address, would loop back into the proxy). Other names get the
 * `block_all` answer; give them a ServiceEntry to reach them.
 */
function httpProxyAllowAny(): Json {
  return {
    name: ALLOW_ANY,
    domains: ['*'],
    routes: [
      {
        name: ALLOW_ANY,
        match: { prefix: '/', headers: [{ name: ':authority', string_match: { safe_regex: { regex: IP_PORT_AUTHORITY } } }] },
        route: { cluster: PASSTHROUGH_CLUSTER, timeout: '0s' },
      },
      { name: BLOCK_ALL, match: { prefix: '/' }, direct_response: { status: 502 } },
    ],
  };
}

/** A sidecar outbound route config: `9080` (per port) or `http_proxy`. */
export function sidecarRouteConfig(scope: SidecarScope, routeName: string): Json | undefined {
  let listenPort: number;
  if (routeName === HTTP_PROXY_ROUTE) listenPort = 0;
  else if (/^\d+$/.test(routeName)) listenPort = Number(routeName);
  else return undefined;
  return {
    name: routeName,
    virtual_hosts: [...sidecarVirtualHosts(scope, listenPort), catchAllVirtualHost(scope)],
    validate_clusters: false,
    max_direct_response_body_size_bytes: MAX_DIRECT_RESPONSE_BODY_BYTES,
    // Istio ignores ports in host matching for sidecars; the HTTP proxy's domains carry the port,
    // so Skein keeps port matching there (else `reviews:9080` could never match).
    ...(listenPort !== 0 ? { ignore_port_in_host_matching: true } : {}),
  };
}
