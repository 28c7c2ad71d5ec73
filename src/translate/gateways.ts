/**
 * Router proxies (Istio gateway.go): the Gateways that select the proxy are merged by port; each
 * HTTP server port gets a listener `0.0.0.0_<port>` whose HCM fetches route config
 * `http.<port>`, whose virtual hosts are the hosts both a server and a bound VirtualService name.
 */
import { hostSubsetOf, isHttpProtocol, parseProtocol, splitNamespacedHost, type Server } from '../model/index.js';
import type { ConvertedGateway } from './gateway-api.js';
import { hashForDestination } from './hashing.js';
import { hcmFilter } from './hcm.js';
import { domainName, listenerName } from './names.js';
import { buildRoutesForVirtualService, isCatchAllRoute, type RouteOptions } from './route-translate.js';
import { MAX_DIRECT_RESPONSE_BODY_BYTES } from './routes.js';
import type { SidecarScope } from './sidecar-scope.js';
import { isExportedTo } from './virtual-services.js';
import { socketAddress, type Json } from './xds-resource.js';

interface GatewayServer {
  readonly gateway: ConvertedGateway;
  readonly server: Server;
}

/** Gateways whose selector matches the router's labels (Gateway API ones only in their own namespace). */
export function gatewaysForProxy(scope: SidecarScope): ConvertedGateway[] {
  if (scope.view.type !== 'router') return [];
  return scope.push.gateways.filter(
    (g) => scope.view.matches(g.spec.selector) && (!g.sameNamespaceOnly || g.namespace === scope.view.namespace),
  );
}

/** HTTP servers by port (HTTPS/TLS/TCP servers need TLS or SNI routing, which Skein does not generate yet). */
function httpServersByPort(scope: SidecarScope): Map<number, GatewayServer[]> {
  const out = new Map<number, GatewayServer[]>();
  for (const gateway of gatewaysForProxy(scope)) {
    for (const server of gateway.spec.servers ?? []) {
      if (!isHttpProtocol(parseProtocol(server.port.protocol ?? ''))) continue;
      const list = out.get(server.port.number) ?? [];
      list.push({ gateway, server });
      out.set(server.port.number, list);
    }
  }
  return out;
}

/** Istio `gatewayRDSRouteName` for plain HTTP servers. */
export function gatewayRouteName(port: number, bind?: string): string {
  return `http.${port}${bind ? `.${bind}` : ''}`;
}

export function gatewayListeners(scope: SidecarScope): Json[] {
  const out: Json[] = [];
  for (const [port, servers] of [...httpServersByPort(scope)].sort(([a], [b]) => a - b)) {
    const bind = servers[0]?.server.bind || '0.0.0.0';
    const name = listenerName(bind, port);
    out.push({
      name,
      address: socketAddress(bind, port),
      filter_chains: [
        {
          filters: [
            hcmFilter({
              statPrefix: `outbound_${name}`,
              rds: gatewayRouteName(port, servers[0]?.server.bind),
              useRemoteAddress: true,
              httpProtocolOptions: {},
            }),
          ],
        },
      ],
      traffic_direction: 'OUTBOUND',
    });
  }
  return out;
}

/** Istio `host.NamesForNamespace`: server hosts (`ns/host`) that apply to a VirtualService in `namespace`. */
function serverHostsFor(server: Server, gatewayNamespace: string, namespace: string): string[] {
  const out: string[] = [];
  for (const h of server.hosts) {
    const { namespace: ns, host } = splitNamespacedHost(h);
    const resolved = ns === '.' ? gatewayNamespace : ns;
    if (resolved === '*' || resolved === namespace) out.push(host);
  }
  return out;
}

/** Istio `host.Names.Intersection`: for each overlapping pair, the narrower name. */
function intersectHosts(serverHosts: readonly string[], vsHosts: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of serverHosts) {
    for (const v of vsHosts) {
      const pick = hostSubsetOf(s, v) ? s : hostSubsetOf(v, s) ? v : undefined;
      if (pick !== undefined && !out.includes(pick)) out.push(pick);
    }
  }
  return out;
}

/** Istio `buildGatewayHTTPRouteConfig`. */
export function gatewayRouteConfig(scope: SidecarScope, routeName: string): Json | undefined {
  const match = /^http\.(\d+)(?:\.(.+))?$/.exec(routeName);
  if (!match) return undefined;
  const port = Number(match[1]);
  const servers = httpServersByPort(scope).get(port) ?? [];
  const vhosts = new Map<string, Json>();
  const routeCache = new Map<string, Json[]>();
  for (const { gateway, server } of servers) {
    const opts: RouteOptions = {
      view: scope.view,
      mesh: scope.push.mesh,
      listenPort: port,
      gatewayNames: new Set([gateway.key]),
      isTls: server.tls !== undefined,
      grpc: false,
      lookupService: (h) => scope.push.serviceByHost.get(h),
      lookupHash: (d) => hashForDestination(scope.destinationRule(d.host), d),
    };
    for (const vs of scope.push.virtualServices) {
      if (!vs.spec.gateways.includes(gateway.key)) continue;
      if (!isExportedTo(vs.exportTo, scope.view.namespace) && vs.config.namespace !== scope.view.namespace) continue;
      const hosts = intersectHosts(serverHostsFor(server, gateway.namespace, vs.config.namespace), vs.spec.hosts ?? []);
      if (hosts.length === 0) continue;
      const key = `${gateway.key}|${vs.config.namespace}/${vs.config.name}`;
      let routes = routeCache.get(key);
      if (!routes) {
        routes = buildRoutesForVirtualService(vs.spec.http ?? [], vs.config.name, vs.gatewaySemantics, opts);
        routeCache.set(key, routes);
      }
      if (routes.length === 0) continue;
      for (const raw of hosts) {
        const host = raw.toLowerCase();
        const existing = vhosts.get(host);
        // Istio merges routes of every VirtualService bound to the gateway for one host.
        if (existing) existing.routes = [...(existing.routes as Json[]), ...routes];
        else vhosts.set(host, { name: domainName(host, port), domains: [host], routes: [...routes] });
        if (server.tls?.httpsRedirect) (vhosts.get(host) as Json).require_tls = 'ALL';
      }
    }
  }
  let virtualHosts: Json[];
  if (vhosts.size === 0) {
    virtualHosts = [{ name: domainName('blackhole', port), domains: ['*'], routes: [] }];
  } else {
    virtualHosts = [...vhosts.values()].map((v) => {
      // Istio `SortVHostRoutes`: catch-all routes after every other route.
      const routes = v.routes as Json[];
      return { ...v, routes: [...routes.filter((r) => !isCatchAllRoute(r)), ...routes.filter(isCatchAllRoute)] };
    });
    virtualHosts.sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : (a.name as string) > (b.name as string) ? 1 : 0));
  }
  return {
    name: routeName,
    virtual_hosts: virtualHosts,
    validate_clusters: false,
    max_direct_response_body_size_bytes: MAX_DIRECT_RESPONSE_BODY_BYTES,
    ignore_port_in_host_matching: true,
  };
}

/** The route config names a router's listeners refer to. */
export function gatewayRouteNames(scope: SidecarScope): string[] {
  return [...httpServersByPort(scope)].map(([port, servers]) => gatewayRouteName(port, servers[0]?.server.bind)).sort();
}
