/**
 * VirtualServices as translation reads them: short names resolved and delegates merged into
 * their root, as Istio's MergedVirtualService collection does
 * (pilot/pkg/model/virtualservice_controller.go `mergeVirtualServices`, virtualservice.go).
 */
import {
  resolveShortName,
  type ConfigResource,
  type Destination,
  type HTTPMatchRequest,
  type HTTPRoute,
  type StringMatch,
  type VirtualServiceSpec,
} from '../model/index.js';

/** The gateway name that means "every sidecar". */
export const MESH_GATEWAY = 'mesh';

export interface ResolvedVirtualService {
  readonly config: ConfigResource<VirtualServiceSpec>;
  /** Resolved spec: FQDN hosts, `ns/name` gateways (`mesh` when none), merged delegates. */
  readonly spec: VirtualServiceSpec & { readonly gateways: readonly string[] };
  /** Namespaces this VS is visible in (`*` = all). */
  readonly exportTo: readonly string[];
  /** Converted from a Gateway API route: Istio's "gateway semantics" (path-separated prefixes, 500 on missing backends). */
  readonly gatewaySemantics: boolean;
}

/** Istio `resolveGatewayName`: `name` → `ns/name`, `./name` → `ns/name`, legacy `name.ns.svc...` → `ns/name`. */
export function resolveGatewayName(name: string, namespace: string): string {
  if (name === MESH_GATEWAY) return name;
  const slash = name.indexOf('/');
  if (slash >= 0) return name.slice(0, slash) === '.' ? `${namespace}/${name.slice(slash + 1)}` : name;
  const dot = name.indexOf('.');
  if (dot < 0) return `${namespace}/${name}`;
  const rest = name.slice(dot + 1);
  const nextDot = rest.indexOf('.');
  return `${nextDot < 0 ? rest : rest.slice(0, nextDot)}/${name.slice(0, dot)}`;
}

/** `exportTo` with `.` replaced by the namespace; empty means the mesh default. */
export function normalizeExportTo(exportTo: readonly string[] | undefined, namespace: string, meshDefault: readonly string[]): string[] {
  const list = exportTo && exportTo.length > 0 ? exportTo : meshDefault;
  return list.map((e) => (e === '.' ? namespace : e));
}

export function isExportedTo(exportTo: readonly string[], namespace: string): boolean {
  return exportTo.includes('*') || exportTo.includes(namespace);
}

function resolveDestination(d: Destination, ns: string, domain: string): Destination {
  return { ...d, host: resolveShortName(d.host, ns, domain) };
}

function resolveMatchGateways(match: readonly HTTPMatchRequest[] | undefined, ns: string): HTTPMatchRequest[] | undefined {
  return match?.map((m) => (m.gateways ? { ...m, gateways: m.gateways.map((g) => resolveGatewayName(g, ns)) } : m));
}

/** Istio `ResolveVirtualServiceShortnames`. */
export function resolveShortnames(spec: VirtualServiceSpec, ns: string, domain: string): VirtualServiceSpec {
  return {
    ...spec,
    hosts: (spec.hosts ?? []).map((h) => resolveShortName(h, ns, domain)),
    gateways: (spec.gateways ?? []).map((g) => resolveGatewayName(g, ns)),
    http: spec.http?.map((r) => ({
      ...r,
      ...(r.match ? { match: resolveMatchGateways(r.match, ns) } : {}),
      ...(r.route ? { route: r.route.map((d) => ({ ...d, destination: resolveDestination(d.destination, ns, domain) })) } : {}),
      ...(r.mirror ? { mirror: resolveDestination(r.mirror, ns, domain) } : {}),
      ...(r.mirrors ? { mirrors: r.mirrors.map((m) => ({ ...m, destination: resolveDestination(m.destination, ns, domain) })) } : {}),
    })),
    tcp: spec.tcp?.map((r) => ({
      ...r,
      ...(r.match ? { match: r.match.map((m) => (m.gateways ? { ...m, gateways: m.gateways.map((g) => resolveGatewayName(g, ns)) } : m)) } : {}),
      ...(r.route ? { route: r.route.map((d) => ({ ...d, destination: resolveDestination(d.destination, ns, domain) })) } : {}),
    })),
    tls: spec.tls?.map((r) => ({
      ...r,
      match: r.match.map((m) => (m.gateways ? { ...m, gateways: m.gateways.map((g) => resolveGatewayName(g, ns)) } : m)),
      ...(r.route ? { route: r.route.map((d) => ({ ...d, destination: resolveDestination(d.destination, ns, domain) })) } : {}),
    })),
  };
}

function stringMatchConflict(root: StringMatch | undefined, leaf: StringMatch | undefined): boolean {
  if (!root || !leaf) return false;
  if (root.regex && (leaf.regex || leaf.prefix || leaf.exact)) return true;
  if (leaf.regex && (root.regex || root.prefix || root.exact)) return true;
  if (root.exact) return Boolean(leaf.prefix) || leaf.exact !== root.exact;
  if (root.prefix) {
    if (leaf.prefix) return !leaf.prefix.startsWith(root.prefix);
    if (leaf.exact) return !leaf.exact.startsWith(root.prefix);
  }
  return true;
}

/** Istio `hasConflict` (virtualservice.go): a delegate match that cannot narrow the root match. */
function hasConflict(root: HTTPMatchRequest, leaf: HTTPMatchRequest): boolean {
  const pairs: [StringMatch | undefined, StringMatch | undefined][] = [
    [root.uri, leaf.uri],
    [root.scheme, leaf.scheme],
    [root.method, leaf.method],
    [root.authority, leaf.authority],
  ];
  if (pairs.some(([r, l]) => stringMatchConflict(r, l))) return true;
  for (const [k, v] of Object.entries(leaf.headers ?? {})) if (stringMatchConflict(root.headers?.[k], v)) return true;
  for (const [k, v] of Object.entries(leaf.withoutHeaders ?? {})) if (stringMatchConflict(root.withoutHeaders?.[k], v)) return true;
  for (const [k, v] of Object.entries(leaf.queryParams ?? {})) if (stringMatchConflict(root.queryParams?.[k], v)) return true;
  if (Boolean(root.ignoreUriCase) !== Boolean(leaf.ignoreUriCase)) return true;
  if (root.port && leaf.port && root.port !== leaf.port) return true;
  if (root.sourceNamespace && leaf.sourceNamespace !== root.sourceNamespace) return true;
  for (const [k, v] of Object.entries(leaf.sourceLabels ?? {})) {
    if (root.sourceLabels && k in root.sourceLabels && root.sourceLabels[k] !== v) return true;
  }
  if (root.gateways?.length && leaf.gateways?.length) {
    if (root.gateways.length < leaf.gateways.length) return true;
    if (leaf.gateways.some((g) => !root.gateways?.includes(g))) return true;
  }
  return false;
}

function joinName(root: string | undefined, leaf: string | undefined): string | undefined {
  if (!leaf) return root;
  return root ? `${root}-${leaf}` : leaf;
}

function mergeMatch(root: HTTPMatchRequest, leaf: HTTPMatchRequest): HTTPMatchRequest {
  const name = joinName(root.name, leaf.name);
  return {
    ...leaf,
    ...(name ? { name } : {}),
    ...(leaf.uri ?? root.uri ? { uri: leaf.uri ?? root.uri } : {}),
    ...(leaf.scheme ?? root.scheme ? { scheme: leaf.scheme ?? root.scheme } : {}),
    ...(leaf.method ?? root.method ? { method: leaf.method ?? root.method } : {}),
    ...(leaf.authority ?? root.authority ? { authority: leaf.authority ?? root.authority } : {}),
    headers: { ...root.headers, ...leaf.headers },
    withoutHeaders: { ...root.withoutHeaders, ...leaf.withoutHeaders },
    queryParams: { ...root.queryParams, ...leaf.queryParams },
    ...(leaf.port || root.port ? { port: leaf.port || root.port } : {}),
    sourceLabels: { ...root.sourceLabels, ...leaf.sourceLabels },
    ...(leaf.sourceNamespace || root.sourceNamespace ? { sourceNamespace: leaf.sourceNamespace || root.sourceNamespace } : {}),
    ...(leaf.gateways?.length ? {} : root.gateways ? { gateways: root.gateways } : {}),
    ...(leaf.statPrefix || root.statPrefix ? { statPrefix: leaf.statPrefix || root.statPrefix } : {}),
  };
}

/** Istio `mergeHTTPMatchRequests`: undefined on conflict. */
function mergeMatches(root: readonly HTTPMatchRequest[] | undefined, leaf: readonly HTTPMatchRequest[] | undefined): readonly HTTPMatchRequest[] | undefined | null {
  if (!root || root.length === 0) return leaf;
  if (!leaf || leaf.length === 0) return root;
  const out: HTTPMatchRequest[] = [];
  for (const sub of leaf) {
    let found = false;
    for (const r of root) {
      if (hasConflict(r, sub)) continue;
      out.push(mergeMatch(r, sub));
      found = true;
    }
    if (!found) return null;
  }
  return out.length === 0 ? null : out;
}

/** Istio `mergeHTTPRoute`: the delegate route inherits what it does not set from the root route. */
function mergeRoute(root: HTTPRoute, leaf: HTTPRoute): HTTPRoute | undefined {
  const match = mergeMatches(root.match, leaf.match);
  if (match === null) return undefined;
  const name = joinName(root.name, leaf.name);
  return {
    ...leaf,
    ...(name ? { name } : {}),
    ...(match ? { match } : {}),
    rewrite: leaf.rewrite ?? root.rewrite,
    directResponse: leaf.directResponse ?? root.directResponse,
    timeout: leaf.timeout ?? root.timeout,
    retries: leaf.retries ?? root.retries,
    fault: leaf.fault ?? root.fault,
    mirror: leaf.mirror ?? root.mirror,
    mirrorPercent: leaf.mirrorPercent ?? root.mirrorPercent,
    mirrorPercentage: leaf.mirrorPercentage ?? root.mirrorPercentage,
    corsPolicy: leaf.corsPolicy ?? root.corsPolicy,
    mirrors: leaf.mirrors ?? root.mirrors,
    headers: leaf.headers ?? root.headers,
  };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Resolves every VirtualService with hosts; delegates (VirtualServices without hosts) are merged
 * into the routes that name them when exported to the root's namespace, and never used alone.
 */
export function resolveVirtualServices(
  configs: readonly ConfigResource<VirtualServiceSpec>[],
  domain: string,
  meshDefaultExportTo: readonly string[],
): ResolvedVirtualService[] {
  const delegates = new Map<string, { spec: VirtualServiceSpec; exportTo: string[] }>();
  for (const c of configs) {
    if ((c.spec.hosts ?? []).length > 0) continue;
    delegates.set(`${c.namespace}/${c.name}`, {
      spec: resolveShortnames(c.spec, c.namespace, domain),
      exportTo: normalizeExportTo(c.spec.exportTo, c.namespace, meshDefaultExportTo),
    });
  }
  const out: ResolvedVirtualService[] = [];
  for (const c of configs) {
    if ((c.spec.hosts ?? []).length === 0) continue;
    const resolved = resolveShortnames(c.spec, c.namespace, domain);
    let http = resolved.http;
    if (http?.some((r) => r.delegate)) {
      const merged: HTTPRoute[] = [];
      for (const route of http) {
        if (!route.delegate) {
          merged.push(route);
          continue;
        }
        const key = `${route.delegate.namespace || c.namespace}/${route.delegate.name ?? ''}`;
        const delegate = delegates.get(key);
        if (!delegate || !isExportedTo(delegate.exportTo, c.namespace)) continue;
        const root: HTTPRoute = { ...route, delegate: undefined };
        for (const leaf of delegate.spec.http ?? []) {
          const m = mergeRoute(root, leaf);
          if (m) merged.push(dropUndefined(m));
        }
      }
      http = merged;
    }
    const gateways = resolved.gateways && resolved.gateways.length > 0 ? resolved.gateways : [MESH_GATEWAY];
    out.push({
      config: c,
      spec: { ...resolved, ...(http ? { http } : {}), gateways },
      exportTo: normalizeExportTo(c.spec.exportTo, c.namespace, meshDefaultExportTo),
      gatewaySemantics: false,
    });
  }
  return out;
}
