/**
 * Indexes derived once per snapshot (Istio's PushContext): services by host, resolved
 * VirtualServices (Istio and Gateway API), DestinationRules, Gateways. Pure and cached per
 * snapshot object, so every proxy's generators share them.
 */
import type { ConfigResource, GatewaySpec, MeshConfig, MeshSnapshot, Service, ServiceEndpoint } from '../model/index.js';
import { DestinationRuleIndex } from './destination-rules.js';
import { convertKubernetesGateways, convertRoutes, type ConvertedGateway } from './gateway-api.js';
import { resolveVirtualServices, type ResolvedVirtualService } from './virtual-services.js';

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
}

const cache = new WeakMap<MeshSnapshot, PushContext>();

function istioGateways(configs: readonly ConfigResource<GatewaySpec>[]): ConvertedGateway[] {
  return configs.map((g) => ({ key: `${g.namespace}/${g.name}`, namespace: g.namespace, spec: g.spec, sameNamespaceOnly: false }));
}

export function pushContextOf(snapshot: MeshSnapshot): PushContext {
  const cached = cache.get(snapshot);
  if (cached) return cached;
  const mesh = snapshot.meshConfig;
  const serviceByHost = new Map<string, Service>();
  for (const s of snapshot.services) if (!serviceByHost.has(s.hostname)) serviceByHost.set(s.hostname, s);
  const c = snapshot.configs;
  const ctx: PushContext = {
    snapshot,
    mesh,
    services: [...serviceByHost.values()],
    serviceByHost,
    virtualServices: [
      ...resolveVirtualServices(c.virtualServices, mesh.domainSuffix, mesh.defaultVirtualServiceExportTo),
      ...convertRoutes(c.httpRoutes, c.grpcRoutes, c.kubernetesGateways, mesh.domainSuffix),
    ],
    destinationRules: new DestinationRuleIndex(c.destinationRules, mesh),
    gateways: [...istioGateways(c.gateways), ...convertKubernetesGateways(c.kubernetesGateways)],
    endpointsOf: (hostname) => snapshot.endpoints.get(hostname) ?? [],
  };
  cache.set(snapshot, ctx);
  return ctx;
}
