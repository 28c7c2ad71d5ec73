/**
 * Service discovery: where the control plane learns which services exist and which workloads
 * back them (Istio pilot/pkg/model/service.go `ServiceDiscovery` plus the registry controller's
 * handlers). Implemented by the ServiceEntry registry, the in-memory registry of the local
 * runtime, and the aggregate over several; a Kubernetes adapter (Services + EndpointSlices)
 * implements the same interface.
 */
import type { ServiceEndpoint, Workload } from '../model/endpoint.js';
import type { Service, ServiceRegistryKind } from '../model/service.js';

/** A service by its identity: the same hostname may exist in several namespaces. */
export interface ServiceKey {
  readonly hostname: string;
  readonly namespace: string;
}

export interface ServiceChange {
  readonly event: 'add' | 'update' | 'delete';
  /** For `delete`, the service as it was. */
  readonly service: Service;
}

/**
 * One batch of registry changes. A service change needs a full push (clusters, listeners,
 * routes may change); an endpoints-only change needs only EDS for that service (Istio's
 * incremental EDS push).
 */
export interface RegistryChange {
  readonly services: readonly ServiceChange[];
  /** Services whose endpoints (and nothing else) changed. */
  readonly endpoints: readonly ServiceKey[];
}

export type RegistryListener = (change: RegistryChange) => void;

export interface ServiceDiscovery {
  /** Every service, sorted by hostname then namespace. */
  services(): readonly Service[];
  /** The service with this hostname (in `namespace` when given; else the first by Istio's precedence). */
  service(hostname: string, namespace?: string): Service | undefined;
  /** The workloads backing a service of this registry. */
  workloads(service: ServiceKey): readonly Workload[];
  /** The service's endpoints: one per workload per service port. */
  endpoints(service: ServiceKey): readonly ServiceEndpoint[];
  subscribe(listener: RegistryListener): () => void;
}

/** A registry adapter (Istio `serviceregistry.Instance`): discovery plus which kind of source it is. */
export interface ServiceRegistry extends ServiceDiscovery {
  /** Kubernetes services win hostname conflicts with other registries (see aggregate). */
  readonly provider: ServiceRegistryKind;
}

export function serviceKey(service: ServiceKey): string {
  return `${service.namespace}/${service.hostname}`;
}

export function compareServices(a: Service, b: Service): number {
  if (a.hostname !== b.hostname) return a.hostname < b.hostname ? -1 : 1;
  return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0;
}

/** Structural equality of plain data (services, workloads). */
export function sameData(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** Lists of plain data: the same objects in the same order are equal without serializing them. */
function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length === b.length && a.every((item, i) => item === b[i])) return true;
  return sameData(a, b);
}

/**
 * Diffs two states of a registry (services and workloads per service) into a change batch:
 * a service whose definition changed is a service change; one whose workloads alone changed is
 * an endpoints change.
 */
export function diffRegistry(
  before: ReadonlyMap<string, { readonly service: Service; readonly workloads: readonly Workload[] }>,
  after: ReadonlyMap<string, { readonly service: Service; readonly workloads: readonly Workload[] }>,
): RegistryChange {
  const services: ServiceChange[] = [];
  const endpoints: ServiceKey[] = [];
  for (const [key, next] of after) {
    const previous = before.get(key);
    if (!previous) services.push({ event: 'add', service: next.service });
    else if (!sameData(previous.service, next.service)) services.push({ event: 'update', service: next.service });
    else if (!sameList(previous.workloads, next.workloads)) endpoints.push({ hostname: next.service.hostname, namespace: next.service.namespace });
  }
  for (const [key, previous] of before) if (!after.has(key)) services.push({ event: 'delete', service: previous.service });
  return { services, endpoints };
}

export function isEmptyChange(change: RegistryChange): boolean {
  return change.services.length === 0 && change.endpoints.length === 0;
}
