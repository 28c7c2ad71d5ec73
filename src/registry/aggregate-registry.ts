/**
 * One view over several registries (Istio pilot/pkg/serviceregistry/aggregate). When two
 * registries define the same hostname in the same namespace, Istio keeps one service: a
 * Kubernetes one always wins over any other (no "domain squatting" by a ServiceEntry), otherwise
 * the oldest by creation time, then the registry added first (pilot/pkg/model/push_context.go
 * `initServiceRegistry`; aggregate/controller.go keeps Kubernetes registries first).
 */
import type { ServiceEndpoint, Workload } from '../model/endpoint.js';
import type { Service } from '../model/service.js';
import {
  compareServices,
  type RegistryListener,
  type ServiceDiscovery,
  type ServiceKey,
  type ServiceRegistry,
  serviceKey,
} from './service-discovery.js';

function created(service: Service): number {
  return service.creationTimestamp ? Date.parse(service.creationTimestamp) : 0;
}

export class AggregateRegistry implements ServiceDiscovery {
  private readonly registries: { readonly registry: ServiceRegistry; readonly unsubscribe: () => void }[] = [];
  private readonly listeners = new Set<RegistryListener>();

  constructor(registries: readonly ServiceRegistry[] = []) {
    for (const registry of registries) this.addRegistry(registry);
  }

  /** Kubernetes registries go before the first non-Kubernetes one (aggregate/controller.go addRegistry). */
  addRegistry(registry: ServiceRegistry): void {
    const unsubscribe = registry.subscribe((change) => {
      for (const listener of this.listeners) listener(change);
    });
    const entry = { registry, unsubscribe };
    const firstOther = this.registries.findIndex((r) => r.registry.provider !== 'Kubernetes');
    if (registry.provider === 'Kubernetes' && firstOther >= 0) this.registries.splice(firstOther, 0, entry);
    else this.registries.push(entry);
  }

  removeRegistry(registry: ServiceRegistry): void {
    const index = this.registries.findIndex((r) => r.registry === registry);
    if (index < 0) return;
    this.registries[index]?.unsubscribe();
    this.registries.splice(index, 1);
  }

  /** The winning (registry, service) for each hostname/namespace. */
  private winners(): Map<string, { readonly registry: ServiceRegistry; readonly service: Service }> {
    const out = new Map<string, { registry: ServiceRegistry; service: Service }>();
    for (const { registry } of this.registries) {
      for (const service of registry.services()) {
        const key = serviceKey(service);
        const existing = out.get(key);
        if (!existing || beats(registry, service, existing.registry, existing.service)) out.set(key, { registry, service });
      }
    }
    return out;
  }

  services(): readonly Service[] {
    return [...this.winners().values()].map((w) => w.service).sort(compareServices);
  }

  service(hostname: string, namespace?: string): Service | undefined {
    let best: { registry: ServiceRegistry; service: Service } | undefined;
    for (const { registry } of this.registries) {
      for (const service of registry.services()) {
        if (service.hostname !== hostname || (namespace !== undefined && service.namespace !== namespace)) continue;
        if (!best || beats(registry, service, best.registry, best.service)) best = { registry, service };
      }
    }
    return best?.service;
  }

  private owner(key: ServiceKey): ServiceRegistry | undefined {
    return this.winners().get(serviceKey(key))?.registry;
  }

  workloads(key: ServiceKey): readonly Workload[] {
    return this.owner(key)?.workloads(key) ?? [];
  }

  endpoints(key: ServiceKey): readonly ServiceEndpoint[] {
    return this.owner(key)?.endpoints(key) ?? [];
  }

  subscribe(listener: RegistryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Whether `service` from `registry` takes precedence over an existing one (registry order breaks ties: the existing one came first). */
function beats(registry: ServiceRegistry, service: Service, existingRegistry: ServiceRegistry, existing: Service): boolean {
  const kube = registry.provider === 'Kubernetes';
  const existingKube = existingRegistry.provider === 'Kubernetes';
  if (kube !== existingKube) return kube;
  return created(service) < created(existing);
}
