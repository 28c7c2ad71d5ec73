/**
 * Services and workloads from ServiceEntry and WorkloadEntry config (Istio
 * pilot/pkg/serviceregistry/serviceentry, conversion.go): one service per ServiceEntry host,
 * endpoints from the inline `endpoints`, or from the WorkloadEntries of the namespace that
 * `workloadSelector` selects, or, for DNS resolution with neither, the hosts themselves.
 */
import { compareConfigAge, type ConfigResource } from '../model/config.js';
import { endpointsOf, parseLocality, type ServiceEndpoint, type Workload } from '../model/endpoint.js';
import { labelsMatch } from '../model/labels.js';
import type { ServiceEntrySpec, WorkloadEntrySpec } from '../model/networking.js';
import { parseProtocol } from '../model/protocol.js';
import type { Resolution, Service } from '../model/service.js';
import { KIND, sameType } from '../config/kinds.js';
import type { ConfigSnapshot, ConfigStore } from '../config/store/config-store.js';
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

/** A WorkloadEntry (or an inline endpoint) as a workload; weight 0 means Istio's default 1. */
export function workloadFromEntry(name: string, namespace: string, entry: WorkloadEntrySpec): Workload {
  return {
    name,
    namespace,
    address: entry.address ?? '',
    ports: entry.ports ?? {},
    labels: entry.labels ?? {},
    serviceAccount: entry.serviceAccount ?? '',
    locality: parseLocality(entry.locality),
    health: 'HEALTHY',
    weight: entry.weight ? entry.weight : 1,
    network: entry.network ?? '',
  };
}

function servicesOf(se: ConfigResource<ServiceEntrySpec>): Service[] {
  const spec = se.spec;
  // DYNAMIC_DNS (Envoy's dynamic forward proxy) has no equivalent in Skein's model yet.
  if (spec.resolution === 'DYNAMIC_DNS') return [];
  const resolution: Resolution = spec.resolution ?? 'NONE';
  return (spec.hosts ?? []).map((hostname) => ({
    // ServiceEntry hosts are used as written, never expanded (conversion.go convertServices).
    hostname,
    name: se.name,
    namespace: se.namespace,
    ports: (spec.ports ?? []).map((p) => ({
      name: p.name ?? '',
      port: p.number,
      protocol: parseProtocol(p.protocol ?? ''),
      ...(p.targetPort ? { targetPort: p.targetPort } : {}),
    })),
    addresses: spec.addresses ?? [],
    labels: se.labels,
    ...(spec.workloadSelector ? { selector: spec.workloadSelector.labels ?? {} } : {}),
    exportTo: spec.exportTo ?? [],
    resolution,
    location: spec.location ?? 'MESH_EXTERNAL',
    registry: 'External' as const,
    ...(spec.subjectAltNames ? { serviceAccounts: spec.subjectAltNames } : {}),
    ...(se.creationTimestamp ? { creationTimestamp: se.creationTimestamp } : {}),
  }));
}

function workloadsOf(se: ConfigResource<ServiceEntrySpec>, host: string, entries: readonly ConfigResource<WorkloadEntrySpec>[]): Workload[] {
  const spec = se.spec;
  const resolution = spec.resolution ?? 'NONE';
  if (spec.endpoints) return spec.endpoints.map((e, i) => workloadFromEntry(`${se.name}[${i}]`, se.namespace, e));
  if (spec.workloadSelector) {
    const selector = spec.workloadSelector.labels ?? {};
    // A WorkloadEntry's labels are its spec labels overlaid with its metadata labels (conversion.go).
    return entries
      .map((we) => ({ we, labels: { ...we.spec.labels, ...we.labels } }))
      .filter(({ we, labels }) => we.namespace === se.namespace && labelsMatch(selector, labels))
      .map(({ we, labels }) => workloadFromEntry(we.name, we.namespace, { ...we.spec, labels }));
  }
  // DNS without endpoints: Envoy resolves the host itself (conversion.go convertServiceEntryToInstances).
  if ((resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') && !host.startsWith('*')) {
    return [workloadFromEntry(host, se.namespace, { address: host })];
  }
  return [];
}

export class ServiceEntryRegistry implements ServiceRegistry {
  readonly provider = 'External' as const;
  private readonly listeners = new Set<RegistryListener>();
  private state: State;
  private readonly unsubscribe: () => void;

  constructor(store: ConfigStore) {
    this.state = ServiceEntryRegistry.compute(store.snapshot());
    this.unsubscribe = store.subscribe((batch) => {
      const relevant = batch.changes.some((c) => sameType(c.type, KIND.ServiceEntry) || sameType(c.type, KIND.WorkloadEntry));
      if (!relevant) return;
      const next = ServiceEntryRegistry.compute(store.snapshot());
      const change = diffRegistry(this.state, next);
      this.state = next;
      if (!isEmptyChange(change)) for (const listener of this.listeners) listener(change);
    });
  }

  /** Stops following the store. */
  close(): void {
    this.unsubscribe();
  }

  private static compute(snapshot: ConfigSnapshot): State {
    const entries = snapshot.list(KIND.WorkloadEntry) as readonly ConfigResource<WorkloadEntrySpec>[];
    // Two ServiceEntries for one host in one namespace: the oldest wins (push_context.go initServiceRegistry).
    const serviceEntries = [...(snapshot.list(KIND.ServiceEntry) as readonly ConfigResource<ServiceEntrySpec>[])].sort(compareConfigAge);
    const state: State = new Map();
    for (const se of serviceEntries) {
      for (const service of servicesOf(se)) {
        const key = serviceKey(service);
        if (!state.has(key)) state.set(key, { service, workloads: workloadsOf(se, service.hostname, entries) });
      }
    }
    return state;
  }

  services(): readonly Service[] {
    return [...this.state.values()].map((e) => e.service).sort(compareServices);
  }

  service(hostname: string, namespace?: string): Service | undefined {
    if (namespace !== undefined) return this.state.get(serviceKey({ hostname, namespace }))?.service;
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
}
