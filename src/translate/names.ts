/** Istio's names for clusters, listeners and special resources (pilot/pkg/model/service.go, pilot/pkg/networking/util). */

export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';
export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
export const INBOUND_PASSTHROUGH_CLUSTER = 'InboundPassthroughCluster';
/** Route name and virtual host name for ALLOW_ANY outbound traffic. */
export const ALLOW_ANY = 'allow_any';
/** Route name and virtual host name for REGISTRY_ONLY outbound traffic. */
export const BLOCK_ALL = 'block_all';
export const VIRTUAL_OUTBOUND_LISTENER = 'virtualOutbound';
export const VIRTUAL_INBOUND_LISTENER = 'virtualInbound';
/** Istio `model.RDSHttpProxy`: the route config of the HTTP proxy listener. */
export const HTTP_PROXY_ROUTE = 'http_proxy';
/** Istio's source address for inbound passthrough, skipped by its iptables rules. */
export const INBOUND_PASSTHROUGH_BIND_IPV4 = '127.0.0.6';
/** The route name Istio gives routes built without a VirtualService. */
export const DEFAULT_ROUTE_NAME = 'default';

/** Istio `BuildSubsetKey`: `outbound|9080|v1|reviews.default.svc.cluster.local`. */
export function outboundClusterName(hostname: string, port: number, subset = ''): string {
  return `outbound|${port}|${subset}|${hostname}`;
}

/** Istio `BuildInboundSubsetKey`: `inbound|9080||`. */
export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

export interface SubsetKey {
  readonly direction: string;
  readonly port: number;
  readonly subset: string;
  readonly hostname: string;
}

/** Istio `ParseSubsetKey`; undefined when the name is not `dir|port|subset|host`. */
export function parseSubsetKey(name: string): SubsetKey | undefined {
  const parts = name.split('|');
  if (parts.length !== 4) return undefined;
  const [direction = '', port = '', subset = '', hostname = ''] = parts;
  const n = Number(port);
  if (!Number.isInteger(n) || n <= 0) return undefined;
  return { direction, port: n, subset, hostname };
}

/** Istio `util.DomainName`: `host:port`, IPv6 in brackets. */
export function domainName(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Istio `getListenerName`: `0.0.0.0_9080`. */
export function listenerName(bind: string, port: number): string {
  return `${bind}_${port}`;
}
