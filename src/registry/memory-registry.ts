/**
 * An in-memory registry: services and workloads added and removed by code (the local mesh
 * runtime registers the processes it starts here). A service selects the workloads of its
 * namespace whose labels match its selector, as a Kubernetes Service selects pods.
 */
import { endpointsOf, type ServiceEndpoint, type Workload } from '../model/endpoint.js';
import { labelsMatch } from '../model/labels.js';
import type { Service, ServiceRegistryKind } from '../model/service.js';
import {
  compareServices,
  diffRegistry,
  isEmptyChange,
  type RegistryListener,
  type ServiceKey,
  type ServiceRegistry,
  serviceKey,
} from './service-discovery.js';

type State = Map<string, { readonly service: Service; readonly workloads: readonly Workload[] }>;

export class MemoryRegistry implements ServiceRegistry {
  readonly provider: ServiceRegistryKind;
  private readonly serviceMap = new Map<string, Service>();
  private readonly workloadMap = new Map<string, Workload>();
  private readonly listeners = new Set<RegistryListener>();
  private state: State = new Map();
  private batching = 0;

  constructor(provider: ServiceRegistryKind = 'Local') {
    this.provider = provider;
  }

  services(): readonly Service[] {
    return [...this.serviceMap.values()].sort(compareServices);
  }

  service(hostname: string, namespace?: string): Service | undefined {
    if (namespace !== undefined) return this.serviceMap.get(serviceKey({ hostname, namespace }));
    return this.services().find((s) => s.hostname === hostname);
  }

  workloads(key: ServiceKey): readonly Workload[] {
    return this.state.get(serviceKey(key))?.workloads ?? [];
  }

  endpoints(key: ServiceKey): readonly ServiceEndpoint[] {
    const entry = this.state.get(serviceKey(key));
    return entry ? endpointsOf(entry.service, entry.workloads) : [];
  }

  subscribe(listener: RegistryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds or replaces a service (same hostname and namespace). */
  addService(service: Service): void {
    this.serviceMap.set(serviceKey(service), service);
    this.changed();
  }

  removeService(hostname: string, namespace: string): void {
    if (this.serviceMap.delete(serviceKey({ hostname, namespace }))) this.changed();
  }

  /** Adds or replaces a workload (same namespace and name). */
  addWorkload(workload: Workload): void {
    this.workloadMap.set(`${workload.namespace}/${workload.name}`, workload);
    this.changed();
  }

  removeWorkload(namespace: string, name: string): void {
    if (this.workloadMap.delete(`${namespace}/${name}`)) this.changed();
  }

  /** Runs several updates and notifies once, with their combined change. */
  batch(updates: () => void): void {
    this.batching++;
    try {
      updates();
    } finally {
      this.batching--;
    }
    this.changed();
  }

  private compute(): State {
    const state: State = new Map();
    const workloads = [...this.workloadMap.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // Selectors only look inside their own namespace: index once instead of scanning every workload per service.
    const byNamespace = new Map<string, Workload[]>();
    for (const w of workloads) {
      const list = byNamespace.get(w.namespace);
      if (list) list.push(w);
      else byNamespace.set(w.namespace, [w]);
    }
    for (const service of this.serviceMap.values()) {
      const selected = service.selector
        ? (byNamespace.get(service.namespace) ?? []).filter((w) => labelsMatch(service.selector, w.labels))
        : [];
      state.set(serviceKey(service), { service, workloads: selected });
    }
    return state;
  }

  private changed(): void {
    if (this.batching > 0) return;
    const next = this.compute();
    const change = diffRegistry(this.state, next);
    this.state = next;
    if (isEmptyChange(change)) return;
    for (const listener of this.listeners) listener(change);
  }
}
