/**
 * A service as the mesh sees it, whatever registry it came from (Istio pilot/pkg/model/service.go
 * `Service`). Registries (Kubernetes, ServiceEntry, the local runtime) produce these; translation
 * consumes them.
 */
import type { Labels } from './labels.js';
import type { Protocol } from './protocol.js';

export interface ServicePort {
  /** Port name (`http`, `http-web`, `grpc`...); may be empty for unnamed ports. */
  readonly name: string;
  /** The service port clients connect to. */
  readonly port: number;
  readonly protocol: Protocol;
  /** The port workloads listen on when it differs from `port` (Kubernetes targetPort, ServiceEntry targetPort). */
  readonly targetPort?: number;
}

/**
 * How clients reach the endpoints, in ServiceEntry's words. Istio's internal names:
 * STATIC = ClientSideLB (also every Kubernetes Service), DNS = DNSLB,
 * DNS_ROUND_ROBIN = DNSRoundRobinLB, NONE = Passthrough.
 */
export type Resolution = 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN' | 'NONE';

/** MESH_INTERNAL services get Istio's mTLS and telemetry treatment; MESH_EXTERNAL ones are outside the mesh. */
export type ServiceLocation = 'MESH_INTERNAL' | 'MESH_EXTERNAL';

/** Which registry produced a service (Istio `provider.ID`). */
export type ServiceRegistryKind = 'Kubernetes' | 'External' | 'Local';

export interface Service {
  /** Fully qualified host name: `reviews.default.svc.cluster.local`, `api.example.com`, or a wildcard `*.example.com`. */
  readonly hostname: string;
  /** Short name (Kubernetes Service name or ServiceEntry name). */
  readonly name: string;
  readonly namespace: string;
  readonly ports: readonly ServicePort[];
  /** VIPs (cluster IPs, ServiceEntry addresses). Empty when the service has none (headless, DNS-only). */
  readonly addresses: readonly string[];
  readonly labels: Labels;
  /** Workload selector (Kubernetes Service selector, ServiceEntry workloadSelector). */
  readonly selector?: Labels;
  /** Namespaces the service is visible to: `*` all (the default when empty), `.` own namespace, or names. */
  readonly exportTo: readonly string[];
  readonly resolution: Resolution;
  readonly location: ServiceLocation;
  readonly registry: ServiceRegistryKind;
  /** Service accounts of the workloads, for SAN verification. */
  readonly serviceAccounts?: readonly string[];
  /** RFC 3339; the oldest of two services with the same hostname wins (Istio). */
  readonly creationTimestamp?: string;
}

/** The port of a service with this number, if any. */
export function servicePort(service: Service, port: number): ServicePort | undefined {
  return service.ports.find((p) => p.port === port);
}

/**
 * Whether a service exported with `exportTo` is visible from `namespace` (Istio `exportTo`
 * semantics: empty or `*` = everywhere, `.` = the service's own namespace, `~` = nowhere).
 */
export function isVisibleFrom(exportTo: readonly string[], ownNamespace: string, namespace: string): boolean {
  if (exportTo.length === 0) return true;
  for (const entry of exportTo) {
    if (entry === '*') return true;
    if (entry === '.' && namespace === ownNamespace) return true;
    if (entry === namespace) return true;
  }
  return false;
}
