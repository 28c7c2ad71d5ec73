/**
 * What one proxy can see (Istio's SidecarScope, pilot/pkg/model/sidecar.go): services exported
 * to its namespace and selected by its Sidecar's egress hosts, the VirtualServices bound to
 * `mesh` for those hosts, its outbound traffic policy, DestinationRule lookup; and, per proxy,
 * the service ports its own workload serves (inbound).
 *
 * Sharing. Outbound translation reads a proxy only through its `ProxyView`: type, generator,
 * namespace, DNS domain, capture mode, HTTP proxy port, and its answers to the label selectors of
 * the snapshot (Sidecar and DestinationRule workload selectors of its namespace, VirtualService
 * `sourceLabels`, Gateway selectors) — never its labels, IPs, locality or metadata. The view is
 * the key of its `SidecarScope`, so proxies with equal views share one scope and every resource
 * built from it (Istio shares SidecarScopes per namespace and its XDS cache across proxies the
 * same way). Functions that take a `SidecarScope` cannot see the proxy, so whatever they build
 * depends only on the key; what needs the proxy itself (IPs, locality, app ports, labels for
 * service selectors) takes a `ProxyScope`.
 */
import {
  hostsOverlap,
  isVisibleFrom,
  labelsMatch,
  splitNamespacedHost,
  type CaptureMode,
  type ConfigResource,
  type Destination,
  type Labels,
  type OutboundTrafficPolicyMode,
  type Proxy,
  type ProxyType,
  type Service,
  type ServicePort,
  type SidecarSpec,
} from '../model/index.js';
import type { ConsolidatedDestinationRule } from './destination-rules.js';
import { inServiceOrder, type PushContext } from './push-context.js';
import { isExportedTo, MESH_GATEWAY, type ResolvedVirtualService } from './virtual-services.js';

export interface ServiceTarget {
  readonly service: Service;
  readonly port: ServicePort;
  /** The port the workload listens on (the endpoint port). */
  readonly targetPort: number;
}

/** The proxy as outbound translation sees it: exactly the inputs of its SidecarScope key. */
export interface ProxyView {
  readonly type: ProxyType;
  /** `grpc` for proxyless gRPC, '' for Envoy-shaped proxies. */
  readonly generator: string;
  readonly namespace: string;
  readonly dnsDomain: string;
  readonly captureMode: CaptureMode;
  readonly httpProxyPort: number;
  /**
   * Whether the proxy's labels match a selector of this snapshot (undefined matches), answered
   * from the key. A selector the snapshot's index does not hold is a translation bug: it throws.
   */
  matches(selector: Labels | undefined): boolean;
}

export interface SidecarScope {
  /** Every proxy with this key gets the same outbound config. */
  readonly key: string;
  readonly push: PushContext;
  readonly view: ProxyView;
  readonly sidecar?: ConfigResource<SidecarSpec>;
  /** Visible services, by hostname. */
  readonly services: readonly Service[];
  readonly serviceByHost: ReadonlyMap<string, Service>;
  /** VirtualServices bound to `mesh` visible to this proxy, in precedence order. */
  readonly meshVirtualServices: readonly ResolvedVirtualService[];
  readonly outboundMode: OutboundTrafficPolicyMode;
  readonly egressProxy?: Destination;
  destinationRule(hostname: string): ConsolidatedDestinationRule | undefined;
  /** A value built once for this scope (and snapshot), shared by every proxy that has it. */
  memo<T>(key: string, build: () => T): T;
}

export interface ProxyScope {
  readonly push: PushContext;
  readonly proxy: Proxy;
  readonly scope: SidecarScope;
  /** Service ports this proxy's workload serves (Istio ServiceTargets). */
  readonly targets: readonly ServiceTarget[];
}

/** Istio `getSidecarScope`: the oldest selecting Sidecar in the proxy's namespace, else its namespace default, else the root default. */
function selectSidecar(push: PushContext, view: ProxyView): ConfigResource<SidecarSpec> | undefined {
  if (view.type !== 'sidecar') return undefined;
  const sidecars = push.snapshot.configs.sidecars;
  const inNs = sidecars.filter((s) => s.namespace === view.namespace);
  const selecting = inNs.find((s) => s.spec.workloadSelector && view.matches(s.spec.workloadSelector.labels));
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
 * its endpoint is published. In service order, endpoint targets before selector ones.
 */
function serviceTargets(push: PushContext, proxy: Proxy): ServiceTarget[] {
  if (proxy.type !== 'sidecar') return [];
  const ips = new Set(proxy.ipAddresses);
  const candidates = new Set<Service>();
  for (const ip of ips) for (const s of push.servicesAt(ip)) candidates.add(s);
  const selected = new Set<Service>();
  for (const s of push.selectingServicesIn(proxy.namespace)) {
    if (labelsMatch(s.selector, proxy.labels)) {
      selected.add(s);
      candidates.add(s);
    }
  }
  const out: ServiceTarget[] = [];
  const add = (service: Service, port: ServicePort, targetPort: number) => {
    if (!out.some((t) => t.service === service && t.port === port)) out.push({ service, port, targetPort });
  };
  for (const service of inServiceOrder(push, candidates)) {
    for (const ep of push.endpointsOf(service.hostname)) {
      if (!ips.has(ep.address)) continue;
      const port = service.ports.find((p) => p.port === ep.servicePort);
      if (port) add(service, port, ep.port);
    }
    if (selected.has(service)) for (const port of service.ports) add(service, port, port.targetPort ?? port.port);
  }
  return out;
}

/** The proxy's view and its key: the view's fields plus its answer to every selector that could be asked. */
function viewOf(push: PushContext, proxy: Proxy): { view: ProxyView; key: string } {
  const selectors = push.labelSelectors(proxy.namespace, proxy.type);
  const answers = selectors.distinct.map((s) => labelsMatch(s, proxy.labels));
  const view: ProxyView = {
    type: proxy.type,
    generator: proxy.generator ?? '',
    namespace: proxy.namespace,
    dnsDomain: proxy.dnsDomain,
    captureMode: proxy.captureMode,
    httpProxyPort: proxy.httpProxyPort,
    matches: (selector) => {
      if (!selector) return true;
      const index = selectors.indexOf.get(selector);
      if (index === undefined) throw new Error('translation matched a label selector that is not in the snapshot index');
      return answers[index] ?? false;
    },
  };
  const bits = answers.map((a) => (a ? '1' : '0')).join('');
  const key = JSON.stringify([view.type, view.generator, view.namespace, view.dnsDomain, view.captureMode, view.httpProxyPort, bits]);
  return { view, key };
}

function buildSidecarScope(push: PushContext, view: ProxyView, key: string): SidecarScope {
  const sidecar = selectSidecar(push, view);
  const hosts = egressHosts(sidecar, view.namespace);
  const services = push.services.filter(
    (s) => isVisibleFrom(serviceExportTo(push, s), s.namespace, view.namespace) && egressSelects(hosts, s.namespace, s.hostname),
  );
  const meshVirtualServices = push.virtualServices.filter(
    (vs) =>
      vs.spec.gateways.includes(MESH_GATEWAY) &&
      (isExportedTo(vs.exportTo, view.namespace) || vs.config.namespace === view.namespace) &&
      (vs.spec.hosts ?? []).some((h) => egressSelects(hosts, vs.config.namespace, h)),
  );
  const policy = sidecar?.spec.outboundTrafficPolicy;
  const rules = new Map<string, ConsolidatedDestinationRule | undefined>();
  const memos = new Map<string, unknown>();
  return {
    key,
    push,
    view,
    ...(sidecar ? { sidecar } : {}),
    services,
    serviceByHost: new Map(services.map((s) => [s.hostname, s])),
    meshVirtualServices,
    outboundMode: policy?.mode ?? push.mesh.outboundTrafficPolicy.mode,
    ...(policy?.egressProxy ? { egressProxy: policy.egressProxy } : {}),
    destinationRule: (hostname) => {
      if (rules.has(hostname)) return rules.get(hostname);
      const svc = push.serviceByHost.get(hostname);
      const rule = push.destinationRules.lookup(hostname, svc?.namespace ?? '', view.namespace, (s) => view.matches(s));
      rules.set(hostname, rule);
      return rule;
    },
    memo: <T>(memoKey: string, build: () => T): T => {
      if (memos.has(memoKey)) return memos.get(memoKey) as T;
      const value = build();
      memos.set(memoKey, value);
      return value;
    },
  };
}

const scopes = new WeakMap<PushContext, Map<string, SidecarScope>>();
const proxyScopes = new WeakMap<PushContext, WeakMap<Proxy, ProxyScope>>();

/** The SidecarScope proxies with this view share (one per key and snapshot). */
function sidecarScopeOf(push: PushContext, view: ProxyView, key: string): SidecarScope {
  let byKey = scopes.get(push);
  if (!byKey) scopes.set(push, (byKey = new Map()));
  let scope = byKey.get(key);
  if (!scope) byKey.set(key, (scope = buildSidecarScope(push, view, key)));
  return scope;
}

export function proxyScopeOf(push: PushContext, proxy: Proxy): ProxyScope {
  let perProxy = proxyScopes.get(push);
  if (!perProxy) proxyScopes.set(push, (perProxy = new WeakMap()));
  const cached = perProxy.get(proxy);
  if (cached) return cached;
  const { view, key } = viewOf(push, proxy);
  const scope: ProxyScope = { push, proxy, scope: sidecarScopeOf(push, view, key), targets: serviceTargets(push, proxy) };
  perProxy.set(proxy, scope);
  return scope;
}
