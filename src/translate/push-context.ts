/**
 * Indexes derived once per snapshot (Istio's PushContext): services by host, resolved
 * VirtualServices (Istio and Gateway API), DestinationRules, Gateways. Pure and cached per
 * snapshot object, so every proxy's generators share them. The config indexes are cached by
 * the snapshot's `configs` object (and the service index by its `services` list), so a snapshot
 * that only changed endpoints and kept those objects reuses them instead of rebuilding.
 */
import type {
  ConfigResource,
  GatewaySpec,
  Labels,
  MeshConfig,
  MeshConfigs,
  MeshSnapshot,
  ProxyType,
  Service,
  ServiceEndpoint,
} from '../model/index.js';
import { DestinationRuleIndex } from './destination-rules.js';
import { convertKubernetesGateways, convertRoutes, type ConvertedGateway } from './gateway-api.js';
import { resolveVirtualServices, type ResolvedVirtualService } from './virtual-services.js';

/**
 * Every label selector translation may match against a proxy's labels, for proxies of one
 * namespace and type. A proxy's answers to them are part of its SidecarScope key.
 */
export interface LabelSelectors {
  /** Distinct selectors (by content), in a stable order. */
  readonly distinct: readonly Labels[];
  /** Each selector object of the snapshot → its index in `distinct`. */
  readonly indexOf: ReadonlyMap<Labels, number>;
}

export interface PushContext {
  readonly snapshot: MeshSnapshot;
  readonly mesh: MeshConfig;
  /** One service per hostname: the oldest wins, as Istio resolves duplicate hosts. */
  readonly services: readonly Service[];
  readonly serviceByHost: ReadonlyMap<string, Service>;
  readonly virtualServices: readonly ResolvedVirtualService[];
  readonly destinationRules: DestinationRuleIndex;
  /** Istio Gateways and those generated from Gateway API Gateways, by `namespace/name`. */
  readonly gateways: readonly ConvertedGateway[];
  endpointsOf(hostname: string): readonly ServiceEndpoint[];
  /** Services that have an endpoint at this address (inbound service targets). */
  servicesAt(address: string): readonly Service[];
  /** Services with a selector in a namespace (workloads there may serve them before their endpoint is published). */
  selectingServicesIn(namespace: string): readonly Service[];
  labelSelectors(namespace: string, type: ProxyType): LabelSelectors;
}

interface ConfigIndexes {
  readonly mesh: MeshConfig;
  readonly virtualServices: readonly ResolvedVirtualService[];
  readonly destinationRules: DestinationRuleIndex;
  readonly gateways: readonly ConvertedGateway[];
  /** VirtualService source selectors: every proxy may be matched against them. */
  readonly sourceSelectors: readonly Labels[];
  readonly selectorCache: Map<string, LabelSelectors>;
}

interface ServiceIndexes {
  readonly services: readonly Service[];
  readonly serviceByHost: ReadonlyMap<string, Service>;
  readonly position: ReadonlyMap<Service, number>;
  readonly selectingByNamespace: ReadonlyMap<string, readonly Service[]>;
}

const cache = new WeakMap<MeshSnapshot, PushContext>();
const configIndexes = new WeakMap<MeshConfigs, ConfigIndexes>();
const serviceIndexes = new WeakMap<readonly Service[], ServiceIndexes>();

function istioGateways(configs: readonly ConfigResource<GatewaySpec>[]): ConvertedGateway[] {
  return configs.map((g) => ({ key: `${g.namespace}/${g.name}`, namespace: g.namespace, spec: g.spec, sameNamespaceOnly: false }));
}

/** Every `sourceLabels` a VirtualService match carries (HTTP, TCP and TLS routes). */
function sourceSelectorsOf(virtualServices: readonly ResolvedVirtualService[]): Labels[] {
  const out: Labels[] = [];
  for (const vs of virtualServices) {
    for (const routes of [vs.spec.http, vs.spec.tcp, vs.spec.tls]) {
      for (const route of routes ?? []) for (const m of route.match ?? []) if (m.sourceLabels) out.push(m.sourceLabels);
    }
  }
  return out;
}

function configIndexesOf(configs: MeshConfigs, mesh: MeshConfig): ConfigIndexes {
  const cached = configIndexes.get(configs);
  if (cached && cached.mesh === mesh) return cached;
  const virtualServices = [
    ...resolveVirtualServices(configs.virtualServices, mesh.domainSuffix, mesh.defaultVirtualServiceExportTo),
    ...convertRoutes(configs.httpRoutes, configs.grpcRoutes, configs.kubernetesGateways, mesh.domainSuffix),
  ];
  const indexes: ConfigIndexes = {
    mesh,
    virtualServices,
    destinationRules: new DestinationRuleIndex(configs.destinationRules, mesh),
    gateways: [...istioGateways(configs.gateways), ...convertKubernetesGateways(configs.kubernetesGateways)],
    sourceSelectors: sourceSelectorsOf(virtualServices),
    selectorCache: new Map(),
  };
  configIndexes.set(configs, indexes);
  return indexes;
}

function serviceIndexesOf(list: readonly Service[]): ServiceIndexes {
  const cached = serviceIndexes.get(list);
  if (cached) return cached;
  const serviceByHost = new Map<string, Service>();
  for (const s of list) if (!serviceByHost.has(s.hostname)) serviceByHost.set(s.hostname, s);
  const services = [...serviceByHost.values()];
  const selectingByNamespace = new Map<string, Service[]>();
  for (const s of services) {
    if (!s.selector || Object.keys(s.selector).length === 0) continue;
    const inNamespace = selectingByNamespace.get(s.namespace) ?? [];
    inNamespace.push(s);
    selectingByNamespace.set(s.namespace, inNamespace);
  }
  const indexes: ServiceIndexes = {
    services,
    serviceByHost,
    position: new Map(services.map((s, i) => [s, i])),
    selectingByNamespace,
  };
  serviceIndexes.set(list, indexes);
  return indexes;
}

function labelsKey(labels: Labels): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

/**
 * The selectors a proxy of this namespace and type can be matched against: Sidecar and
 * DestinationRule workload selectors of its namespace, VirtualService source labels, and (for
 * routers) Gateway selectors.
 */
function buildLabelSelectors(configs: MeshConfigs, indexes: ConfigIndexes, namespace: string, type: ProxyType): LabelSelectors {
  const selectors: Labels[] = [];
  if (type === 'sidecar') {
    for (const s of configs.sidecars) {
      const labels = s.spec.workloadSelector?.labels;
      if (s.namespace === namespace && labels) selectors.push(labels);
    }
  }
  selectors.push(...indexes.destinationRules.selectorsIn(namespace), ...indexes.sourceSelectors);
  if (type === 'router') for (const g of indexes.gateways) if (g.spec.selector) selectors.push(g.spec.selector);
  const distinct: Labels[] = [];
  const byContent = new Map<string, number>();
  const indexOf = new Map<Labels, number>();
  for (const selector of selectors) {
    const key = labelsKey(selector);
    let index = byContent.get(key);
    if (index === undefined) {
      index = distinct.push(selector) - 1;
      byContent.set(key, index);
    }
    indexOf.set(selector, index);
  }
  return { distinct, indexOf };
}

export function pushContextOf(snapshot: MeshSnapshot): PushContext {
  const cached = cache.get(snapshot);
  if (cached) return cached;
  const mesh = snapshot.meshConfig;
  const configs = configIndexesOf(snapshot.configs, mesh);
  const services = serviceIndexesOf(snapshot.services);
  let byAddress: Map<string, Service[]> | undefined;
  const ctx: PushContext = {
    snapshot,
    mesh,
    services: services.services,
    serviceByHost: services.serviceByHost,
    virtualServices: configs.virtualServices,
    destinationRules: configs.destinationRules,
    gateways: configs.gateways,
    endpointsOf: (hostname) => snapshot.endpoints.get(hostname) ?? [],
    servicesAt: (address) => {
      if (!byAddress) {
        byAddress = new Map();
        for (const service of services.services) {
          for (const ep of snapshot.endpoints.get(service.hostname) ?? []) {
            const list = byAddress.get(ep.address) ?? [];
            if (list.at(-1) !== service) list.push(service);
            byAddress.set(ep.address, list);
          }
        }
      }
      return byAddress.get(address) ?? [];
    },
    selectingServicesIn: (namespace) => services.selectingByNamespace.get(namespace) ?? [],
    labelSelectors: (namespace, type) => {
      const key = `${type}/${namespace}`;
      let found = configs.selectorCache.get(key);
      if (!found) configs.selectorCache.set(key, (found = buildLabelSelectors(snapshot.configs, configs, namespace, type)));
      return found;
    },
  };
  cache.set(snapshot, ctx);
  return ctx;
}

/** Services in snapshot order (Istio iterates services in this order when it builds service targets). */
export function inServiceOrder(push: PushContext, services: Iterable<Service>): Service[] {
  const position = serviceIndexesOf(push.snapshot.services).position;
  return [...services].sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
}
