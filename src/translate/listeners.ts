/**
 * LDS for sidecars. `iptables` capture mode is Istio's shape (listener.go, listener_builder.go,
 * listener_inbound.go): `virtualOutbound` on 15001 hands connections to per-port listeners
 * (`0.0.0.0_9080`, not bound) by original destination; HTTP ports share a listener whose HCM
 * fetches route config `9080`; TCP ports get a tcp_proxy listener on the service VIP;
 * `virtualInbound` on 15006 has one filter chain per served port. `http-proxy` capture mode
 * (Skein's local runtime) has one HTTP proxy listener at the proxy's IP (Istio `buildHTTPProxy`,
 * route config `http_proxy`) and one bound inbound listener per served port.
 */
import { isHttpProtocol, isTcpProtocol, type Service, type ServicePort } from '../model/index.js';
import { tcpRouteDestinations } from './tcp-routes.js';
import { hcmFilter, tcpProxyFilter } from './hcm.js';
import {
  BLACKHOLE_CLUSTER,
  HTTP_PROXY_ROUTE,
  INBOUND_PASSTHROUGH_CLUSTER,
  inboundClusterName,
  listenerName,
  outboundClusterName,
  PASSTHROUGH_CLUSTER,
  VIRTUAL_INBOUND_LISTENER,
  VIRTUAL_OUTBOUND_LISTENER,
} from './names.js';
import { defaultInboundRoute } from './route-translate.js';
import type { ProxyScope, ServiceTarget, SidecarScope } from './sidecar-scope.js';
import { socketAddress, type Json, type XdsResource } from './xds-resource.js';

const WILDCARD = '0.0.0.0';

function isHttpPort(port: ServicePort): boolean {
  return isHttpProtocol(port.protocol);
}

/** Skein has no protocol sniffing: unnamed ports are opaque TCP. */
function isTcpPort(port: ServicePort): boolean {
  return isTcpProtocol(port.protocol) || port.protocol === 'UnsupportedProtocol';
}

/** Istio `buildOutboundCatchAllNetworkFilterChains`: 15001 itself is a black hole; everything else passes through (ALLOW_ANY) or is dropped. */
function virtualOutboundListener(scope: SidecarScope): Json {
  const catchAll = scope.outboundMode === 'ALLOW_ANY' ? PASSTHROUGH_CLUSTER : BLACKHOLE_CLUSTER;
  const port = scope.push.mesh.proxyListenPort;
  return {
    name: VIRTUAL_OUTBOUND_LISTENER,
    address: socketAddress(WILDCARD, port),
    filter_chains: [
      { filter_chain_match: { destination_port: port }, filters: [tcpProxyFilter(BLACKHOLE_CLUSTER, BLACKHOLE_CLUSTER)], name: 'virtualOutbound-blackhole' },
      { filters: [tcpProxyFilter(catchAll, catchAll)], name: 'virtualOutbound-catchall-tcp' },
    ],
    use_original_dst: true,
    traffic_direction: 'OUTBOUND',
  };
}

function outboundListener(bind: string, port: number, filters: Json[]): Json {
  return {
    name: listenerName(bind, port),
    address: socketAddress(bind, port),
    filter_chains: [{ filters }],
    // Reached only through virtualOutbound's original destination hand-off.
    bind_to_port: false,
    listener_filters_timeout: '0s',
    continue_on_listener_filters_timeout: true,
    traffic_direction: 'OUTBOUND',
  };
}

function tcpOutboundFilters(scope: SidecarScope, service: Service, port: ServicePort): Json[] {
  const weighted = tcpRouteDestinations(scope, service, port.port);
  const cluster = weighted?.length === 1 && weighted[0] ? weighted[0].name : outboundClusterName(service.hostname, port.port);
  return [tcpProxyFilter(cluster, weighted && weighted.length > 1 ? weighted : cluster)];
}

/**
 * Per-port outbound listeners. HTTP ports share `0.0.0.0_<port>`; TCP ports listen on the
 * service VIP (or the wildcard when it has none). Where two services want the same listener
 * with different protocols, the first service (by hostname) keeps it, as Istio keeps the
 * existing listener on conflict.
 */
function outboundPortListeners(scope: SidecarScope): Json[] {
  const out = new Map<string, Json>();
  for (const service of scope.services) {
    for (const port of service.ports) {
      if (isHttpPort(port)) {
        const name = listenerName(WILDCARD, port.port);
        if (out.has(name)) continue;
        out.set(name, outboundListener(WILDCARD, port.port, [hcmFilter({ statPrefix: `outbound_${name}`, rds: String(port.port), useRemoteAddress: false })]));
      } else if (isTcpPort(port)) {
        const bind = service.addresses[0] ?? WILDCARD;
        const name = listenerName(bind, port.port);
        if (out.has(name)) continue;
        out.set(name, outboundListener(bind, port.port, tcpOutboundFilters(scope, service, port)));
      }
    }
  }
  return [...out.values()];
}

/** Istio `buildSidecarInboundHTTPRouteConfig`: one `inbound|http|<port>` virtual host for every domain. */
function inboundRouteConfig(target: ServiceTarget): Json {
  const cluster = inboundClusterName(target.targetPort);
  const operation = `${target.service.hostname}:${target.port.port}/*`;
  return {
    name: cluster,
    virtual_hosts: [
      {
        name: `inbound|http|${target.port.port}`,
        domains: ['*'],
        // Istio does not retry inbound gRPC (retries would replay streams).
        routes: [defaultInboundRoute(cluster, operation, target.port.protocol !== 'GRPC')],
      },
    ],
    validate_clusters: false,
  };
}

function inboundFilters(target: ServiceTarget, bind: string): Json[] {
  const cluster = inboundClusterName(target.targetPort);
  if (isHttpPort(target.port)) {
    return [hcmFilter({ statPrefix: `inbound_${listenerName(bind, target.targetPort)}`, routeConfig: inboundRouteConfig(target), useRemoteAddress: false })];
  }
  return [tcpProxyFilter(cluster, cluster)];
}

/** One target per port the workload listens on (the first service claiming it wins). */
function inboundTargets(targets: readonly ServiceTarget[]): ServiceTarget[] {
  const seen = new Set<number>();
  return targets.filter((t) => {
    if (seen.has(t.targetPort) || t.port.protocol === 'UDP') return false;
    seen.add(t.targetPort);
    return true;
  });
}

/** What inbound listeners read of a target: the key under which replicas share them. */
function targetsKey(targets: readonly ServiceTarget[]): string {
  return JSON.stringify(targets.map((t) => [t.targetPort, t.service.hostname, t.port.name, t.port.port, t.port.protocol]));
}

/** Istio `virtualInbound`: a filter chain per served port (matched by original destination port), then passthrough. */
function virtualInboundListener(scope: SidecarScope, targets: readonly ServiceTarget[]): Json {
  const chains: Json[] = targets.map((t) => ({
    filter_chain_match: { destination_port: t.targetPort },
    filters: inboundFilters(t, WILDCARD),
    name: listenerName(WILDCARD, t.targetPort),
  }));
  chains.push({ filters: [tcpProxyFilter(INBOUND_PASSTHROUGH_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER)], name: VIRTUAL_INBOUND_LISTENER });
  return {
    name: VIRTUAL_INBOUND_LISTENER,
    address: socketAddress(WILDCARD, scope.push.mesh.proxyInboundListenPort),
    filter_chains: chains,
    traffic_direction: 'INBOUND',
  };
}

/** The proxy's own address in http-proxy mode (its loopback IP). */
function proxyIp(p: ProxyScope): string {
  return p.proxy.ipAddresses[0] ?? '127.0.0.1';
}

/** Istio `buildHTTPProxy`: absolute-URL HTTP proxy listener using route config `http_proxy`. */
function httpProxyListener(p: ProxyScope): Json | undefined {
  const port = p.proxy.httpProxyPort;
  if (!port) return undefined;
  const ip = proxyIp(p);
  const name = listenerName(ip, port);
  return {
    name,
    address: socketAddress(ip, port),
    filter_chains: [
      {
        filters: [
          hcmFilter({
            statPrefix: `outbound_${name}`,
            rds: HTTP_PROXY_ROUTE,
            useRemoteAddress: false,
            httpProtocolOptions: { allow_absolute_url: true },
          }),
        ],
      },
    ],
    traffic_direction: 'OUTBOUND',
  };
}

/** http-proxy mode inbound: peers connect to the proxy's IP on the service's target port. */
function boundInboundListeners(p: ProxyScope): Json[] {
  const ip = proxyIp(p);
  return inboundTargets(p.targets).map((t) => ({
    name: listenerName(ip, t.targetPort),
    address: socketAddress(ip, t.targetPort),
    filter_chains: [{ filters: inboundFilters(t, ip) }],
    traffic_direction: 'INBOUND',
  }));
}

function resourceOf(listener: Json): XdsResource {
  return { name: listener.name as string, resource: listener };
}

/**
 * A sidecar's listeners. With interception, `virtualOutbound` and the per-port outbound
 * listeners come from the SidecarScope (shared) and `virtualInbound` from the proxy's targets
 * (shared by replicas); in http-proxy mode both listeners bind the proxy's own IP.
 */
export function sidecarListeners(p: ProxyScope): XdsResource[] {
  if (p.proxy.captureMode === 'http-proxy') {
    const proxy = httpProxyListener(p);
    return [...(proxy ? [proxy] : []), ...boundInboundListeners(p)].map(resourceOf);
  }
  const scope = p.scope;
  const outbound = scope.memo('lds-outbound', () => [virtualOutboundListener(scope), ...outboundPortListeners(scope)].map(resourceOf));
  const targets = inboundTargets(p.targets);
  const inbound = scope.memo(`lds-inbound|${targetsKey(targets)}`, () => resourceOf(virtualInboundListener(scope, targets)));
  return [...outbound, inbound];
}
