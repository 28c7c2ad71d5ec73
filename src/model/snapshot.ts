/**
 * The immutable snapshot translation reads (Istio's PushContext): every config object by kind,
 * every service with its endpoints, and the mesh config, under one version.
 */
import {
  compareConfigAge,
  GATEWAY_API_GROUP,
  ISTIO_NETWORKING_GROUP,
  ISTIO_SECURITY_GROUP,
  ISTIO_TELEMETRY_GROUP,
  type ConfigResource,
} from './config.js';
import type { ServiceEndpoint } from './endpoint.js';
import type { GRPCRouteSpec, HTTPRouteSpec, KubernetesGatewaySpec } from './gateway-api.js';
import { DEFAULT_MESH_CONFIG, type MeshConfig } from './mesh-config.js';
import type {
  DestinationRuleSpec,
  GatewaySpec,
  ServiceEntrySpec,
  SidecarSpec,
  VirtualServiceSpec,
  WorkloadEntrySpec,
} from './networking.js';
import type { AuthorizationPolicySpec, PeerAuthenticationSpec, RequestAuthenticationSpec } from './security.js';
import type { Service } from './service.js';
import type { TelemetrySpec } from './telemetry.js';

/** All config objects by kind, each list in Istio's precedence order (oldest first, then namespace/name). */
export interface MeshConfigs {
  readonly virtualServices: readonly ConfigResource<VirtualServiceSpec>[];
  readonly destinationRules: readonly ConfigResource<DestinationRuleSpec>[];
  readonly gateways: readonly ConfigResource<GatewaySpec>[];
  readonly serviceEntries: readonly ConfigResource<ServiceEntrySpec>[];
  readonly workloadEntries: readonly ConfigResource<WorkloadEntrySpec>[];
  readonly sidecars: readonly ConfigResource<SidecarSpec>[];
  readonly peerAuthentications: readonly ConfigResource<PeerAuthenticationSpec>[];
  readonly authorizationPolicies: readonly ConfigResource<AuthorizationPolicySpec>[];
  readonly requestAuthentications: readonly ConfigResource<RequestAuthenticationSpec>[];
  readonly telemetries: readonly ConfigResource<TelemetrySpec>[];
  readonly httpRoutes: readonly ConfigResource<HTTPRouteSpec>[];
  readonly grpcRoutes: readonly ConfigResource<GRPCRouteSpec>[];
  /** Gateway API `Gateway` (Istio calls the kind KubernetesGateway to tell it from its own Gateway). */
  readonly kubernetesGateways: readonly ConfigResource<KubernetesGatewaySpec>[];
}

export interface MeshSnapshot {
  /** Changes whenever anything in the snapshot changes; used as the xDS version. */
  readonly version: string;
  readonly meshConfig: MeshConfig;
  /** Sorted by hostname, then age (oldest first), then namespace. */
  readonly services: readonly Service[];
  /** Endpoints by service hostname, across every service port. */
  readonly endpoints: ReadonlyMap<string, readonly ServiceEndpoint[]>;
  readonly configs: MeshConfigs;
}

/** Where each group/kind goes in `MeshConfigs`. */
export const CONFIG_KINDS: Readonly<Record<string, keyof MeshConfigs>> = {
  [`${ISTIO_NETWORKING_GROUP}/VirtualService`]: 'virtualServices',
  [`${ISTIO_NETWORKING_GROUP}/DestinationRule`]: 'destinationRules',
  [`${ISTIO_NETWORKING_GROUP}/Gateway`]: 'gateways',
  [`${ISTIO_NETWORKING_GROUP}/ServiceEntry`]: 'serviceEntries',
  [`${ISTIO_NETWORKING_GROUP}/WorkloadEntry`]: 'workloadEntries',
  [`${ISTIO_NETWORKING_GROUP}/Sidecar`]: 'sidecars',
  [`${ISTIO_SECURITY_GROUP}/PeerAuthentication`]: 'peerAuthentications',
  [`${ISTIO_SECURITY_GROUP}/AuthorizationPolicy`]: 'authorizationPolicies',
  [`${ISTIO_SECURITY_GROUP}/RequestAuthentication`]: 'requestAuthentications',
  [`${ISTIO_TELEMETRY_GROUP}/Telemetry`]: 'telemetries',
  [`${GATEWAY_API_GROUP}/HTTPRoute`]: 'httpRoutes',
  [`${GATEWAY_API_GROUP}/GRPCRoute`]: 'grpcRoutes',
  [`${GATEWAY_API_GROUP}/Gateway`]: 'kubernetesGateways',
};

/** The `MeshConfigs` list a config object belongs in, or undefined for kinds translation does not read. */
export function configListOf(config: Pick<ConfigResource, 'group' | 'kind'>): keyof MeshConfigs | undefined {
  return CONFIG_KINDS[`${config.group}/${config.kind}`];
}

export interface SnapshotInput {
  readonly version: string;
  readonly meshConfig?: MeshConfig;
  readonly services?: readonly Service[];
  /** By service hostname. */
  readonly endpoints?: ReadonlyMap<string, readonly ServiceEndpoint[]> | Readonly<Record<string, readonly ServiceEndpoint[]>>;
  /** Config of any kind; kinds translation does not read are left out. */
  readonly configs?: readonly ConfigResource[];
}

function compareServices(a: Service, b: Service): number {
  if (a.hostname !== b.hostname) return a.hostname < b.hostname ? -1 : 1;
  const ta = a.creationTimestamp ? Date.parse(a.creationTimestamp) : 0;
  const tb = b.creationTimestamp ? Date.parse(b.creationTimestamp) : 0;
  if (ta !== tb) return ta - tb;
  return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0;
}

/** Builds a frozen snapshot with every list in its canonical order, so translation output is stable. */
export function buildMeshSnapshot(input: SnapshotInput): MeshSnapshot {
  const lists: Record<keyof MeshConfigs, ConfigResource[]> = {
    virtualServices: [],
    destinationRules: [],
    gateways: [],
    serviceEntries: [],
    workloadEntries: [],
    sidecars: [],
    peerAuthentications: [],
    authorizationPolicies: [],
    requestAuthentications: [],
    telemetries: [],
    httpRoutes: [],
    grpcRoutes: [],
    kubernetesGateways: [],
  };
  for (const config of input.configs ?? []) {
    const list = configListOf(config);
    if (list) lists[list].push(config);
  }
  for (const list of Object.values(lists)) Object.freeze(list.sort(compareConfigAge));

  const endpoints = new Map<string, readonly ServiceEndpoint[]>();
  const source = input.endpoints ?? {};
  const entries = source instanceof Map ? [...source.entries()] : Object.entries(source);
  for (const [host, list] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    endpoints.set(host, Object.freeze([...(list as readonly ServiceEndpoint[])]));
  }

  return Object.freeze({
    version: input.version,
    meshConfig: input.meshConfig ?? DEFAULT_MESH_CONFIG,
    services: Object.freeze([...(input.services ?? [])].sort(compareServices)),
    endpoints,
    configs: Object.freeze(lists as unknown as MeshConfigs),
  });
}
