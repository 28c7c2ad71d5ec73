/**
 * Cross-resource analysis, as `istioctl analyze` does it (istio/istio
 * pkg/config/analysis/analyzers): references to subsets, gateways, hosts and parents that no
 * resource defines, and conflicting hosts. These never reject config (istiod accepts such
 * resources; traffic to a missing subset gets 503 NC), they are reported.
 */
import type { ConfigResource } from '../../model/config.js';
import type { DestinationRuleSpec, GatewaySpec, ServiceEntrySpec, VirtualServiceSpec, Destination } from '../../model/networking.js';
import { type Diagnostic, MSG, type MessageType, type ResourceRef, diagnostic } from '../diagnostic.js';
import type { FieldPath } from '../field-path.js';
import { hostsOverlap as hostsMatch, resolveShortName } from '../../model/host.js';
import { KIND, type ResourceType, sameType } from '../kinds.js';
import type { ParsedResource } from '../parse.js';

export interface AnalyzeOptions {
  /** Kubernetes DNS suffix (MeshConfig), default `cluster.local`. */
  readonly domainSuffix?: string;
}

interface Context {
  readonly resources: readonly ParsedResource[];
  readonly domainSuffix: string;
  readonly out: Diagnostic[];
}

function ofType(resources: readonly ParsedResource[], type: ResourceType): ParsedResource[] {
  return resources.filter((r) => sameType(r.type, type));
}

function refOf(resource: ConfigResource): ResourceRef {
  return { group: resource.group, kind: resource.kind, namespace: resource.namespace, name: resource.name };
}

function report(context: Context, r: ParsedResource, type: MessageType, message: string, path: FieldPath): void {
  context.out.push(
    diagnostic(type, message, { resource: refOf(r.resource), file: r.resource.source?.file, line: r.lineOf(path), path }),
  );
}

interface AnnotatedDestination {
  readonly destination: Destination;
  readonly path: FieldPath;
  readonly mirror: boolean;
}

/** virtualservice/util.go getRouteDestinations + getHTTPMirrorDestinations. */
function destinations(vs: VirtualServiceSpec): AnnotatedDestination[] {
  const out: AnnotatedDestination[] = [];
  for (const section of ['tcp', 'tls', 'http'] as const) {
    vs[section]?.forEach((rule, i) =>
      rule.route?.forEach((route, j) => {
        if (route.destination) out.push({ destination: route.destination, path: ['spec', section, i, 'route', j, 'destination'], mirror: false });
      }),
    );
  }
  vs.http?.forEach((rule, i) => {
    if (rule.mirror) out.push({ destination: rule.mirror, path: ['spec', 'http', i, 'mirror'], mirror: true });
    rule.mirrors?.forEach((m, j) => out.push({ destination: m.destination, path: ['spec', 'http', i, 'mirrors', j, 'destination'], mirror: true }));
  });
  return out;
}

/** virtualservice/destinationrules.go: every host+subset must be defined by some DestinationRule. */
function analyzeSubsets(context: Context): void {
  const subsets = new Set<string>();
  for (const dr of ofType(context.resources, KIND.DestinationRule)) {
    const spec = dr.resource.spec as DestinationRuleSpec;
    const host = resolveShortName(spec.host, dr.resource.namespace, context.domainSuffix);
    for (const subset of spec.subsets ?? []) subsets.add(`${host}+${subset.name}`);
  }
  for (const vs of ofType(context.resources, KIND.VirtualService)) {
    for (const d of destinations(vs.resource.spec as VirtualServiceSpec)) {
      const subset = d.destination.subset;
      if (!subset) continue;
      const host = resolveShortName(d.destination.host, vs.resource.namespace, context.domainSuffix);
      if (subsets.has(`${host}+${subset}`)) continue;
      report(
        context,
        vs,
        MSG.ReferencedResourceNotFound,
        `Referenced ${d.mirror ? 'mirror' : 'host'}+subset in destinationrule not found: "${d.destination.host}+${subset}"`,
        [...d.path, 'subset'],
      );
    }
  }
}

/** A service known to the analysis: Kubernetes Services and ServiceEntry hosts, with visibility. */
interface KnownService {
  readonly host: string;
  readonly namespace: string;
  readonly exportTo: readonly string[];
  readonly ports: readonly number[];
}

function knownServices(context: Context): KnownService[] {
  const out: KnownService[] = [];
  for (const se of ofType(context.resources, KIND.ServiceEntry)) {
    const spec = se.resource.spec as ServiceEntrySpec;
    for (const host of spec.hosts ?? []) {
      out.push({
        host: resolveShortName(host, se.resource.namespace, context.domainSuffix),
        namespace: se.resource.namespace,
        exportTo: spec.exportTo ?? [],
        ports: (spec.ports ?? []).map((p) => p.number),
      });
    }
  }
  for (const svc of ofType(context.resources, KIND.Service)) {
    const spec = (svc.resource.spec ?? {}) as { ports?: readonly { port?: number }[] };
    const exportTo = svc.resource.annotations['networking.istio.io/exportTo'];
    out.push({
      host: `${svc.resource.name}.${svc.resource.namespace}.svc.${context.domainSuffix}`,
      namespace: svc.resource.namespace,
      exportTo: exportTo ? exportTo.split(',').map((s) => s.trim()) : [],
      ports: (spec.ports ?? []).map((p) => p.port ?? 0),
    });
  }
  return out;
}

function visible(service: KnownService, namespace: string): boolean {
  if (service.exportTo.length === 0) return true;
  return service.exportTo.some((e) => e === '*' || e === namespace || (e === '.' && namespace === service.namespace));
}

/** util.GetDestinationHost: exact host first, then wildcard ServiceEntry hosts. */
function findService(services: readonly KnownService[], host: string, namespace: string): KnownService | undefined {
  const candidates = services.filter((s) => visible(s, namespace));
  return (
    candidates.find((s) => s.host === host) ??
    candidates.find((s) => s.host.startsWith('*') && host.replace(/^\*/, '').endsWith(s.host.slice(1)))
  );
}

/** virtualservice/destinationhosts.go: destination hosts must exist; multi-port services need a port. */
function analyzeDestinationHosts(context: Context, services: readonly KnownService[]): void {
  for (const vs of ofType(context.resources, KIND.VirtualService)) {
    for (const d of destinations(vs.resource.spec as VirtualServiceSpec)) {
      const host = resolveShortName(d.destination.host, vs.resource.namespace, context.domainSuffix);
      const service = findService(services, host, vs.resource.namespace);
      if (!service) {
        report(context, vs, MSG.ReferencedResourceNotFound, `Referenced ${d.mirror ? 'mirror host' : 'host'} not found: "${d.destination.host}"`, [...d.path, 'host']);
        continue;
      }
      const port = d.destination.port?.number;
      if (port === undefined) {
        if (service.ports.length > 1) {
          report(
            context,
            vs,
            MSG.VirtualServiceDestinationPortSelectorRequired,
            `This VirtualService routes to a service "${d.destination.host}" that exposes multiple ports [${service.ports.join(' ')}]. Specifying a port in the destination is required to disambiguate.`,
            [...d.path, 'host'],
          );
        }
      } else if (!service.ports.includes(port)) {
        report(context, vs, MSG.ReferencedResourceNotFound, `Referenced host:port not found: "${d.destination.host}:${port}"`, [...d.path, 'port']);
      }
    }
  }
}

/** `name` or `namespace/name`, relative to `namespace` (resource.NewShortOrFullName). */
function fullName(reference: string, namespace: string): { namespace: string; name: string } {
  const slash = reference.indexOf('/');
  return slash < 0 ? { namespace, name: reference } : { namespace: reference.slice(0, slash), name: reference.slice(slash + 1) };
}

function findResource(context: Context, type: ResourceType, namespace: string, name: string): ParsedResource | undefined {
  return context.resources.find((r) => sameType(r.type, type) && r.resource.namespace === namespace && r.resource.name === name);
}

/** Istio `host.NamesForNamespace` over a Gateway's `ns/host` server hosts (virtualservice/gateways.go). */
function gatewayHostsFor(gateway: ParsedResource, vsNamespace: string): string[] {
  const out: string[] = [];
  for (const server of (gateway.resource.spec as GatewaySpec).servers ?? []) {
    for (const entry of server.hosts ?? []) {
      const slash = entry.indexOf('/');
      if (slash < 0) {
        out.push(entry);
        continue;
      }
      const ns = entry.slice(0, slash) === '.' ? gateway.resource.namespace : entry.slice(0, slash);
      if (ns === '*' || ns === vsNamespace) out.push(entry.slice(slash + 1));
    }
  }
  return out;
}

/** virtualservice/gateways.go: referenced gateways exist and list the VirtualService's hosts. */
function analyzeGateways(context: Context): void {
  for (const vs of ofType(context.resources, KIND.VirtualService)) {
    const spec = vs.resource.spec as VirtualServiceSpec;
    spec.gateways?.forEach((reference, i) => {
      if (reference === 'mesh') return;
      const { namespace, name } = fullName(reference, vs.resource.namespace);
      const istio = findResource(context, KIND.Gateway, namespace, name);
      const kubernetes = istio ? undefined : findResource(context, KIND.KubernetesGateway, namespace, name);
      const path = ['spec', 'gateways', i];
      if (!istio && !kubernetes) {
        report(context, vs, MSG.ReferencedResourceNotFound, `Referenced gateway not found: "${reference}"`, path);
      }
      const vsHosts = spec.hosts ?? [];
      let gatewayHosts: string[] = [];
      if (istio) gatewayHosts = gatewayHostsFor(istio, vs.resource.namespace);
      else if (kubernetes) {
        const listeners = ((kubernetes.resource.spec ?? {}) as { listeners?: readonly { hostname?: string }[] }).listeners ?? [];
        gatewayHosts = listeners.some((l) => !l.hostname) ? ['*'] : listeners.map((l) => l.hostname ?? '');
      }
      if (!gatewayHosts.some((g) => vsHosts.some((h) => hostsMatch(g, h)))) {
        report(
          context,
          vs,
          MSG.VirtualServiceHostNotFoundInGateway,
          `one or more host [${vsHosts.join(' ')}] defined in VirtualService ${vs.resource.namespace}/${vs.resource.name} not found in Gateway ${namespace}/${name}.`,
          path,
        );
      }
    });
  }
}

/** virtualservice/conflictingmeshgatewayhosts.go: two mesh VirtualServices for one host have undefined behaviour. */
function analyzeConflictingMeshHosts(context: Context): void {
  const byScopedHost = new Map<string, ParsedResource[]>();
  for (const vs of ofType(context.resources, KIND.VirtualService)) {
    const spec = vs.resource.spec as VirtualServiceSpec;
    const gateways = spec.gateways ?? [];
    if (gateways.length > 0 && !gateways.includes('mesh')) continue;
    const exportTo = spec.exportTo ?? [];
    const scopes = exportTo.length === 0 || exportTo.includes('*') ? ['*'] : [...new Set(exportTo.map((e) => (e === '.' ? vs.resource.namespace : e)))];
    for (const scope of scopes) {
      for (const host of spec.hosts ?? []) {
        const key = `${scope}/${resolveShortName(host, vs.resource.namespace, context.domainSuffix)}`;
        byScopedHost.set(key, [...(byScopedHost.get(key) ?? []), vs]);
      }
    }
  }
  const reported = new Set<ParsedResource>();
  for (const [scopedHost, list] of byScopedHost) {
    const slash = scopedHost.indexOf('/');
    const scope = scopedHost.slice(0, slash);
    const host = scopedHost.slice(slash + 1);
    let all = list;
    if (scope !== '*') {
      for (const [other, vss] of byScopedHost) {
        if (other.startsWith('*/') && hostsMatch(host, other.slice(2))) all = [...all, ...vss];
      }
    }
    const unique = [...new Set(all)];
    if (unique.length < 2) continue;
    const names = unique.map((r) => `${r.resource.namespace}/${r.resource.name}`).sort().join(',');
    for (const vs of unique) {
      if (reported.has(vs)) continue;
      reported.add(vs);
      report(
        context,
        vs,
        MSG.ConflictingMeshGatewayVirtualServiceHosts,
        `The VirtualServices ${names} associated with mesh gateway define the same host ${scopedHost} which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`,
        ['metadata', 'name'],
      );
    }
  }
}

/** destinationrule: a DestinationRule whose host matches no known service (IST0174). */
function analyzeDestinationRuleHosts(context: Context, services: readonly KnownService[]): void {
  for (const dr of ofType(context.resources, KIND.DestinationRule)) {
    const host = resolveShortName((dr.resource.spec as DestinationRuleSpec).host, dr.resource.namespace, context.domainSuffix);
    if (services.some((s) => hostsMatch(s.host, host))) continue;
    report(context, dr, MSG.UnknownDestinationRuleHost, `The host ${host} defined in the DestinationRule does not match any services in the mesh.`, ['spec', 'host']);
  }
}

/** sidecar/selector.go: at most one selector-less Sidecar per namespace. */
function analyzeSidecars(context: Context): void {
  const byNamespace = new Map<string, ParsedResource[]>();
  for (const sidecar of ofType(context.resources, KIND.Sidecar)) {
    const selector = (sidecar.resource.spec as { workloadSelector?: unknown }).workloadSelector;
    if (selector) continue;
    byNamespace.set(sidecar.resource.namespace, [...(byNamespace.get(sidecar.resource.namespace) ?? []), sidecar]);
  }
  for (const [namespace, list] of byNamespace) {
    if (list.length < 2) continue;
    const names = list.map((r) => `${r.resource.namespace}/${r.resource.name}`).sort();
    for (const sidecar of list) {
      report(
        context,
        sidecar,
        MSG.MultipleSidecarsWithoutWorkloadSelectors,
        `The Sidecars [${names.join(' ')}] in namespace "${namespace}" have no workload selector, which can lead to undefined behavior.`,
        ['metadata', 'name'],
      );
    }
  }
}

interface ParentRef {
  readonly group?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name: string;
}

interface BackendRef {
  readonly group?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name: string;
}

/** Gateway API routes: parentRefs to Gateways/Services and Service backendRefs must exist. */
function analyzeRoutes(context: Context): void {
  const routeTypes = [KIND.HTTPRoute, KIND.GRPCRoute, KIND.TCPRoute, KIND.TLSRoute];
  for (const route of context.resources.filter((r) => routeTypes.some((t) => sameType(r.type, t)))) {
    const spec = (route.resource.spec ?? {}) as { parentRefs?: readonly ParentRef[]; rules?: readonly { backendRefs?: readonly BackendRef[] }[] };
    spec.parentRefs?.forEach((parent, i) => {
      const namespace = parent.namespace ?? route.resource.namespace;
      const kind = parent.kind ?? 'Gateway';
      const group = parent.group ?? 'gateway.networking.k8s.io';
      const type = kind === 'Service' && group === '' ? KIND.Service : kind === 'Gateway' && group === 'gateway.networking.k8s.io' ? KIND.KubernetesGateway : undefined;
      if (!type) return;
      if (findResource(context, type, namespace, parent.name)) return;
      report(context, route, MSG.ReferencedResourceNotFound, `Referenced parentRef ${kind.toLowerCase()} not found: "${namespace}/${parent.name}"`, ['spec', 'parentRefs', i]);
    });
    spec.rules?.forEach((rule, i) =>
      rule.backendRefs?.forEach((backend, j) => {
        if ((backend.kind ?? 'Service') !== 'Service' || (backend.group ?? '') !== '') return;
        const namespace = backend.namespace ?? route.resource.namespace;
        if (findResource(context, KIND.Service, namespace, backend.name)) return;
        report(context, route, MSG.ReferencedResourceNotFound, `Referenced backendRef service not found: "${namespace}/${backend.name}"`, ['spec', 'rules', i, 'backendRefs', j, 'name']);
      }),
    );
  }
}

/** Runs every analyzer over a set of validated resources. */
export function analyze(resources: readonly ParsedResource[], options: AnalyzeOptions = {}): Diagnostic[] {
  const context: Context = { resources, domainSuffix: options.domainSuffix ?? 'cluster.local', out: [] };
  const services = knownServices(context);
  analyzeSubsets(context);
  analyzeDestinationHosts(context, services);
  analyzeGateways(context);
  analyzeConflictingMeshHosts(context);
  analyzeDestinationRuleHosts(context, services);
  analyzeSidecars(context);
  analyzeRoutes(context);
  return context.out;
}
