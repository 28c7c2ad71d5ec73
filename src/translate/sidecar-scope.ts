/**
 * What one proxy can see (Istio's SidecarScope, pilot/pkg/model/sidecar.go): services exported
 * to its namespace and selected by its Sidecar's egress hosts, the VirtualServices bound to
 * `mesh` for those hosts, its outbound traffic policy, DestinationRule lookup, and the service
 * ports its own workload serves (inbound).
 */
import {
  hostsOverlap,
  isVisibleFrom,
  labelsMatch,
  splitNamespacedHost,
  type ConfigResource,
  type Destination,
  type OutboundTrafficPolicyMode,
  type Proxy,
  type Service,
  type ServicePort,
  type SidecarSpec,
} from '../model/index.js';
import type { ConsolidatedDestinationRule } from './destination-rules.js';
import type { PushContext } from './push-context.js';
import { isExportedTo, MESH_GATEWAY, type ResolvedVirtualService } from './virtual-services.js';

export interface ServiceTarget {
  readonly service: Service;
  readonly port: ServicePort;
  /** The port the workload listens on (the endpoint port). */
  readonly targetPort: number;
}

export interface ProxyScope {
  readonly push: PushContext;
  readonly proxy: Proxy;
  readonly sidecar?: ConfigResource<SidecarSpec>;
  /** Visible services, by hostname. */
  readonly services: readonly Service[];
  readonly serviceByHost: ReadonlyMap<string, Service>;
  /** VirtualServices bound to `mesh` visible to this proxy, in precedence order. */
  readonly meshVirtualServices: readonly ResolvedVirtualService[];
  readonly outboundMode: OutboundTrafficPolicyMode;
  readonly egressProxy?: Destination;
  /** Service ports this proxy's workload serves (Istio ServiceTargets), by target port. */
  readonly targets: readonly ServiceTarget[];
  destinationRule(hostname: string): ConsolidatedDestinationRule | undefined;
}

/** Istio `getSidecarScope`: the oldest selecting Sidecar in the proxy's namespace, else its namespace default, else the root default. */
function selectSidecar(push: PushContext, proxy: Proxy): ConfigResource<SidecarSpec> | undefined {
  if (proxy.type !== 'sidecar') return undefined;
  const sidecars = push.snapshot.configs.sidecars;
  const inNs = sidecars.filter((s) => s.namespace === proxy.namespace);
  const selecting = inNs.find((s) => s.spec.workloadSelector && labelsMatch(s.spec.workloadSelector.labels, proxy.labels));
  if (selecting) return selecting;
  const nsDefault = inNs.find((s) => !s.spec.workloadSelector);
  if (nsDefault) return nsDefault;
  return sidecars.find((s) => s.namespace === push.mesh.rootNamespace && !s.spec.workloadSelector);
}

interface EgressHost {
  readonly namespace: string;
  readonly host: string;
}

function egressHosts(sidecar: ConfigResource<SidecarSpec> | undefined, proxyNamespace: string): EgressHost[] | undefined {
  if (!sidecar?.spec.egress || sidecar.spec.egress.length === 0) return undefined;
  const out: EgressHost[] = [];
  for (const listener of sidecar.spec.egress) {
    for (const h of listener.hosts) {
      const { namespace, host } = splitNamespacedHost(h);
      if (namespace === '~') continue;
      out.push({ namespace: namespace === '.' ? proxyNamespace : namespace, host });
    }
  }
  return out;
}

function egressSelects(hosts: EgressHost[] | undefined, namespace: string, hostname: string): boolean {
  if (!hosts) return true;
  return hosts.some((h) => (h.namespace === '*' || h.namespace === namespace) && (h.host === '*' || hostsOverlap(hostname, h.host)));
}

function serviceExportTo(push: PushContext, s: Service): readonly string[] {
  return s.exportTo.length > 0 ? s.exportTo : push.mesh.defaultServiceExportTo;
}

/**
 * Service ports this proxy's workload serves (Istio `GetProxyServiceTargets`): services whose
 * endpoints are the proxy's own addresses, and — as the Kubernetes registry finds them from the
 * pod, ready or not — services in its namespace whose selector matches its labels. The second
 * rule matters at startup: a sidecar needs its inbound listeners before its app is ready and
 * its endpoint is published.
 */
function serviceTargets(push: PushContext, proxy: Proxy): ServiceTarget[] {
  if (proxy.type !== 'sidecar') return [];
  const ips = new Set(proxy.ipAddresses);
  const out: ServiceTarget[] = [];
  const add = (service: Service, port: ServicePort, targetPort: number) => {
    if (!out.some((t) => t.service === service && t.port === port)) out.push({ service, port, targetPort });
  };
  for (const service of push.services) {
    for (const ep of push.endpointsOf(service.hostname)) {
      if (!ips.has(ep.address)) continue;
      const port = service.ports.find((p) => p.port === ep.servicePort);
      if (port) add(service, port, ep.port);
    }
    const selector = service.selector;
    if (selector && Object.keys(selector).length > 0 && service.namespace === proxy.namespace && labelsMatch(selector, proxy.labels)) {
      for (const port of service.ports) add(service, port, port.targetPort ?? port.port);
    }
  }
  return out;
}

const cache = new WeakMap<PushContext, WeakMap<Proxy, ProxyScope>>();

export function proxyScopeOf(push: PushContext, proxy: Proxy): ProxyScope {
  let perProxy = cache.get(push);
  if (!perProxy) cache.set(push, (perProxy = new WeakMap()));
  const cached = perProxy.get(proxy);
  if (cached) return cached;

  const sidecar = selectSidecar(push, proxy);
  const hosts = egressHosts(sidecar, proxy.namespace);
  const services = push.services.filter(
    (s) => isVisibleFrom(serviceExportTo(push, s), s.namespace, proxy.namespace) && egressSelects(hosts, s.namespace, s.hostname),
  );
  const meshVirtualServices = push.virtualServices.filter(
    (vs) =>
      vs.spec.gateways.includes(MESH_GATEWAY) &&
      (isExportedTo(vs.exportTo, proxy.namespace) || vs.config.namespace === proxy.namespace) &&
      (vs.spec.hosts ?? []).some((h) => egressSelects(hosts, vs.config.namespace, h)),
  );
  const policy = sidecar?.spec.outboundTrafficPolicy;
  const scope: ProxyScope = {
    push,
    proxy,
    ...(sidecar ? { sidecar } : {}),
    services,
    serviceByHost: new Map(services.map((s) => [s.hostname, s])),
    meshVirtualServices,
    outboundMode: policy?.mode ?? push.mesh.outboundTrafficPolicy.mode,
    ...(policy?.egressProxy ? { egressProxy: policy.egressProxy } : {}),
    targets: serviceTargets(push, proxy),
    destinationRule: (hostname) => {
      const svc = push.serviceByHost.get(hostname);
      return push.destinationRules.lookup(hostname, svc?.namespace ?? '', proxy.namespace, proxy.labels);
    },
  };
  perProxy.set(proxy, scope);
  return scope;
}
