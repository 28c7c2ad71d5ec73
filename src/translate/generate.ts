/**
 * The entry point the ADS server calls: (snapshot, proxy, type URL, requested names) → resources.
 * Pure: no I/O, no clocks, no randomness; the same inputs always give the same output, in a
 * stable order. Everything built from a proxy's SidecarScope (sidecar-scope.ts) is built once
 * per scope and snapshot and returned as the same objects to every proxy that shares it, so
 * callers must treat resources as immutable.
 */
import type { Locality, MeshSnapshot, Proxy } from '../model/index.js';
import { generateClusters } from './clusters.js';
import { buildLoadAssignment } from './endpoints.js';
import { gatewayListeners, gatewayRouteConfig, gatewayRouteNames } from './gateways.js';
import { grpcClusters, grpcListeners, grpcRouteConfig } from './grpc.js';
import { sidecarListeners } from './listeners.js';
import { HTTP_PROXY_ROUTE } from './names.js';
import { pushContextOf } from './push-context.js';
import { sidecarRouteConfig } from './routes.js';
import { proxyScopeOf, type ProxyScope, type SidecarScope } from './sidecar-scope.js';
import {
  CLUSTER_TYPE_URL,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
  type Json,
  type XdsResource,
} from './xds-resource.js';

function isGrpc(scope: SidecarScope): boolean {
  return scope.view.generator === 'grpc';
}

function resourceOf(resource: Json): XdsResource {
  return { name: resource.name as string, resource };
}

/** A fresh array (callers may sort it); the resource objects themselves are shared. */
function named(list: readonly XdsResource[], names: readonly string[] | undefined): XdsResource[] {
  if (!names || names.length === 0) return [...list];
  const wanted = new Set(names);
  return list.filter((r) => wanted.has(r.name));
}

export function generateListeners(p: ProxyScope, names?: readonly string[]): XdsResource[] {
  const scope = p.scope;
  if (isGrpc(scope)) return [...scope.memo(`lds-grpc|${JSON.stringify(names ?? [])}`, () => grpcListeners(scope, names))];
  if (scope.view.type === 'router') return named(scope.memo('lds-gateway', () => gatewayListeners(scope).map(resourceOf)), names);
  return named(sidecarListeners(p), names);
}

/** Route config names the proxy's listeners use (what it asks RDS for). */
export function routeNamesFor(scope: SidecarScope): string[] {
  if (scope.view.type === 'router') return gatewayRouteNames(scope);
  if (scope.view.captureMode === 'http-proxy') return scope.view.httpProxyPort ? [HTTP_PROXY_ROUTE] : [];
  const ports = new Set<number>();
  for (const s of scope.services) for (const p of s.ports) if (['HTTP', 'HTTP2', 'GRPC', 'GRPC-Web', 'HTTP_PROXY'].includes(p.protocol)) ports.add(p.port);
  return [...ports].sort((a, b) => a - b).map(String);
}

function buildRouteConfig(scope: SidecarScope, name: string): XdsResource | undefined {
  const config = isGrpc(scope)
    ? grpcRouteConfig(scope, name)
    : scope.view.type === 'router'
      ? gatewayRouteConfig(scope, name)
      : sidecarRouteConfig(scope, name);
  return config ? { name, resource: config } : undefined;
}

/** RDS: route configs depend only on the SidecarScope, so each is built once per scope. */
export function generateRoutes(p: ProxyScope, names?: readonly string[]): XdsResource[] {
  const scope = p.scope;
  const wanted = names && names.length > 0 ? names : isGrpc(scope) ? [] : scope.memo('rds-names', () => routeNamesFor(scope));
  const built = scope.memo('rds', () => new Map<string, XdsResource | undefined>());
  const out: XdsResource[] = [];
  for (const name of wanted) {
    if (!built.has(name)) built.set(name, buildRouteConfig(scope, name));
    const resource = built.get(name);
    if (resource) out.push(resource);
  }
  return out;
}

/** ClusterLoadAssignments depend on the SidecarScope and the proxy's locality: one cache per (scope, locality). */
function loadAssignments(scope: SidecarScope, locality: Locality): Map<string, XdsResource> {
  return scope.memo(`eds|${JSON.stringify([locality.region, locality.zone, locality.subzone])}`, () => new Map<string, XdsResource>());
}

export function generateEndpoints(p: ProxyScope, names?: readonly string[]): XdsResource[] {
  const scope = p.scope;
  const wanted =
    names && names.length > 0
      ? names
      : (isGrpc(scope) ? grpcClusters(scope) : generateClusters(p)).filter((c) => c.resource.type === 'EDS').map((c) => c.name);
  const locality = p.proxy.locality;
  const built = loadAssignments(scope, locality);
  return wanted.map((name) => {
    let resource = built.get(name);
    if (!resource) built.set(name, (resource = { name, resource: buildLoadAssignment(scope, locality, name) }));
    return resource;
  });
}

/**
 * Resources of one xDS type for a proxy. `names` narrows to requested resources (RDS, EDS and
 * proxyless gRPC always name them; Envoy's LDS/CDS are wildcard and get everything).
 */
export function generate(snapshot: MeshSnapshot, proxy: Proxy, typeUrl: string, names?: readonly string[]): XdsResource[] {
  const p = proxyScopeOf(pushContextOf(snapshot), proxy);
  switch (typeUrl) {
    case LISTENER_TYPE_URL:
      return generateListeners(p, names);
    case ROUTE_TYPE_URL:
      return generateRoutes(p, names);
    case CLUSTER_TYPE_URL:
      return isGrpc(p.scope) ? grpcClusters(p.scope, names) : generateClusters(p, names);
    case ENDPOINT_TYPE_URL:
      return generateEndpoints(p, names);
    default:
      return [];
  }
}
