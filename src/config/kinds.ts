/**
 * The kinds of object the config loader recognises: Istio and Gateway API custom resources
 * (validated against their CRD schemas), and the Kubernetes objects a Bookinfo-style manifest
 * carries next to them (kept for the registries and the local runtime, or ignored with a note).
 */
import { GATEWAY_API_GROUP, ISTIO_NETWORKING_GROUP, ISTIO_SECURITY_GROUP, ISTIO_TELEMETRY_GROUP } from '../model/config.js';

/** A kind is named by its API group and kind: Istio's and Gateway API's `Gateway` differ by group. */
export interface ResourceType {
  readonly group: string;
  readonly kind: string;
}

const t = (group: string, kind: string): ResourceType => ({ group, kind });

/** Every kind Skein's control plane reads, named as Istio's `gvk` package names them. */
export const KIND = {
  VirtualService: t(ISTIO_NETWORKING_GROUP, 'VirtualService'),
  DestinationRule: t(ISTIO_NETWORKING_GROUP, 'DestinationRule'),
  Gateway: t(ISTIO_NETWORKING_GROUP, 'Gateway'),
  ServiceEntry: t(ISTIO_NETWORKING_GROUP, 'ServiceEntry'),
  WorkloadEntry: t(ISTIO_NETWORKING_GROUP, 'WorkloadEntry'),
  WorkloadGroup: t(ISTIO_NETWORKING_GROUP, 'WorkloadGroup'),
  Sidecar: t(ISTIO_NETWORKING_GROUP, 'Sidecar'),
  EnvoyFilter: t(ISTIO_NETWORKING_GROUP, 'EnvoyFilter'),
  ProxyConfig: t(ISTIO_NETWORKING_GROUP, 'ProxyConfig'),
  PeerAuthentication: t(ISTIO_SECURITY_GROUP, 'PeerAuthentication'),
  AuthorizationPolicy: t(ISTIO_SECURITY_GROUP, 'AuthorizationPolicy'),
  RequestAuthentication: t(ISTIO_SECURITY_GROUP, 'RequestAuthentication'),
  Telemetry: t(ISTIO_TELEMETRY_GROUP, 'Telemetry'),
  WasmPlugin: t('extensions.istio.io', 'WasmPlugin'),
  TrafficExtension: t('extensions.istio.io', 'TrafficExtension'),
  KubernetesGateway: t(GATEWAY_API_GROUP, 'Gateway'),
  GatewayClass: t(GATEWAY_API_GROUP, 'GatewayClass'),
  HTTPRoute: t(GATEWAY_API_GROUP, 'HTTPRoute'),
  GRPCRoute: t(GATEWAY_API_GROUP, 'GRPCRoute'),
  TCPRoute: t(GATEWAY_API_GROUP, 'TCPRoute'),
  TLSRoute: t(GATEWAY_API_GROUP, 'TLSRoute'),
  ReferenceGrant: t(GATEWAY_API_GROUP, 'ReferenceGrant'),
  Service: t('', 'Service'),
  ServiceAccount: t('', 'ServiceAccount'),
  Namespace: t('', 'Namespace'),
  Pod: t('', 'Pod'),
  Endpoints: t('', 'Endpoints'),
  ConfigMap: t('', 'ConfigMap'),
  Secret: t('', 'Secret'),
  Deployment: t('apps', 'Deployment'),
  StatefulSet: t('apps', 'StatefulSet'),
  DaemonSet: t('apps', 'DaemonSet'),
  ReplicaSet: t('apps', 'ReplicaSet'),
  EndpointSlice: t('discovery.k8s.io', 'EndpointSlice'),
} as const;

/** `networking.istio.io/VirtualService`, `core/Service`: the key a kind is stored under. */
export function typeKey(type: ResourceType): string {
  return `${type.group || 'core'}/${type.kind}`;
}

export function sameType(a: ResourceType, b: ResourceType): boolean {
  return a.group === b.group && a.kind === b.kind;
}

/** Custom resources Skein accepts and validates but does not act on: they get a warning. */
export const UNSUPPORTED_KINDS: readonly ResourceType[] = [KIND.EnvoyFilter, KIND.WasmPlugin, KIND.TrafficExtension, KIND.ProxyConfig];

/** Kubernetes kinds kept in the store, and the field holding their body (the rest of the object when absent). */
export const KUBERNETES_KINDS: ReadonlyMap<string, { readonly body: 'spec' | 'object'; readonly clusterScoped?: boolean }> =
  new Map([
    [typeKey(KIND.Service), { body: 'spec' }],
    [typeKey(KIND.ServiceAccount), { body: 'object' }],
    [typeKey(KIND.Namespace), { body: 'spec', clusterScoped: true }],
    [typeKey(KIND.Pod), { body: 'spec' }],
    [typeKey(KIND.Endpoints), { body: 'object' }],
    [typeKey(KIND.ConfigMap), { body: 'object' }],
    [typeKey(KIND.Secret), { body: 'object' }],
    [typeKey(KIND.Deployment), { body: 'spec' }],
    [typeKey(KIND.StatefulSet), { body: 'spec' }],
    [typeKey(KIND.DaemonSet), { body: 'spec' }],
    [typeKey(KIND.ReplicaSet), { body: 'spec' }],
    [typeKey(KIND.EndpointSlice), { body: 'object' }],
  ]);

/** API groups of Kubernetes itself: their other kinds are ignored with a note, not rejected. */
export const KUBERNETES_GROUPS: ReadonlySet<string> = new Set([
  '', 'apps', 'batch', 'autoscaling', 'policy', 'networking.k8s.io', 'rbac.authorization.k8s.io',
  'discovery.k8s.io', 'storage.k8s.io', 'admissionregistration.k8s.io', 'apiextensions.k8s.io',
  'coordination.k8s.io', 'scheduling.k8s.io', 'certificates.k8s.io', 'node.k8s.io', 'events.k8s.io',
]);

/** `apiVersion` split into group and version: `v1` is the core group. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}
