/**
 * The entry point the ADS server calls: (snapshot, proxy, type URL, requested names) → resources.
 * Pure: no I/O, no clocks, no randomness; the same inputs always give the same output, in a
 * stable order. Proxies whose output would be identical share the same resource objects
 * (memo.ts), so callers must treat resources as immutable.
 */
import type { MeshSnapshot, Proxy } from '../model/index.js';
import { generateClusters } from './clusters.js';
import { buildLoadAssignment } from './endpoints.js';
import { gatewayListeners, gatewayRouteConfig, gatewayRouteNames } from './gateways.js';
import { grpcClusters, grpcListeners, grpcRouteConfig } from './grpc.js';
import { sidecarListeners } from './listeners.js';
import { endpointsKey, memoized, routesKey } from './memo.js';
import { HTTP_PROXY_ROUTE } from './names.js';
import { pushContextOf } from './push-context.js';
import { sidecarRouteConfig } from './routes.js';
import { proxyScopeOf, type ProxyScope } from './sidecar-scope.js';
import {
  CLUSTER_TYPE_URL,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
  type Json,
  type XdsResource,
} from './xds-resource.js';

function isGrpc(proxy: Proxy): boolean {
  return proxy.generator === 'grpc';
}

function named(list: readonly Json[], names: readonly string[] | undefined): XdsResource[] {
  const out = list.map((resource) => ({ name: resource.name as string, resource }));
  return names && names.length > 0 ? out.filter((r) => names.includes(r.name)) : out;
}

export function generateListeners(scope: ProxyScope, names?: readonly string[]): XdsResource[] {
  if (isGrpc(scope.proxy)) return grpcListeners(scope, names);
  const listeners = scope.proxy.type === 'router' ? gatewayListeners(scope) : sidecarListeners(scope);
  return named(listeners, names);
}

/** Route config names the proxy's listeners use (what it asks RDS for). */
export function routeNamesFor(scope: ProxyScope): string[] {
  if (scope.proxy.type === 'router') return gatewayRouteNames(scope);
  if (scope.proxy.captureMode === 'http-proxy') return scope.proxy.httpProxyPort ? [HTTP_PROXY_ROUTE] : [];
  const ports = new Set<number>();
  for (const s of scope.services) for (const p of s.ports) if (['HTTP', 'HTTP2', 'GRPC', 'GRPC-Web', 'HTTP_PROXY'].includes(p.protocol)) ports.add(p.port);
  return [...ports].sort((a, b) => a - b).map(String);
}

export function generateRoutes(scope: ProxyScope, names?: readonly string[]): XdsResource[] {
  return memoized(scope.push, routesKey(scope.proxy, names), () => buildRoutes(scope, names));
}

function buildRoutes(scope: ProxyScope, names?: readonly string[]): XdsResource[] {
  const wanted = names && names.length > 0 ? names : isGrpc(scope.proxy) ? [] : routeNamesFor(scope);
  const out: XdsResource[] = [];
  for (const name of wanted) {
    const config = isGrpc(scope.proxy)
      ? grpcRouteConfig(scope, name)
      : scope.proxy.type === 'router'
        ? gatewayRouteConfig(scope, name)
        : sidecarRouteConfig(scope, name);
    if (config) out.push({ name, resource: config });
  }
  return out;
}

export function generateEndpoints(scope: ProxyScope, names?: readonly string[]): XdsResource[] {
  return memoized(scope.push, endpointsKey(scope.proxy, names), () => buildEndpoints(scope, names));
}

function buildEndpoints(scope: ProxyScope, names?: readonly string[]): XdsResource[] {
  const wanted =
    names && names.length > 0
      ? names
      : (isGrpc(scope.proxy) ? grpcClusters(scope) : generateClusters(scope))
          .filter((c) => c.resource.type === 'EDS')
          .map((c) => c.name);
  return wanted.map((name) => ({ name, resource: buildLoadAssignment(scope, name) }));
}

/**
 * Resources of one xDS type for a proxy. `names` narrows to requested resources (RDS, EDS and
 * proxyless gRPC always name them; Envoy's LDS/CDS are wildcard and get everything).
 */
export function generate(snapshot: MeshSnapshot, proxy: Proxy, typeUrl: string, names?: readonly string[]): XdsResource[] {
  const scope = proxyScopeOf(pushContextOf(snapshot), proxy);
  switch (typeUrl) {
    case LISTENER_TYPE_URL:
      return generateListeners(scope, names);
    case ROUTE_TYPE_URL:
      return generateRoutes(scope, names);
    case CLUSTER_TYPE_URL:
      return isGrpc(proxy) ? grpcClusters(scope, names) : generateClusters(scope, names);
    case ENDPOINT_TYPE_URL:
      return generateEndpoints(scope, names);
    default:
      return [];
  }
}
