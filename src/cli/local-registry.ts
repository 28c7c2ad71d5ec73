/**
 * The service registry of `skein control`: Kubernetes `Service` objects found in the config
 * directory plus the services and workloads of the registry file, in one in-memory registry
 * (so a Service from the directory selects workloads declared in the registry file). Each
 * source replaces its whole contribution on every change; the registry notifies only what
 * actually changed (a workload change is an EDS-only push).
 */
import { KIND } from '../config/kinds.js';
import type { ConfigStore } from '../config/store/config-store.js';
import type { Workload } from '../model/endpoint.js';
import type { Service } from '../model/service.js';
import { kubernetesHostname } from '../registry/hostnames.js';
import { serviceFromKubernetes } from '../registry/kubernetes-service.js';
import { MemoryRegistry } from '../registry/memory-registry.js';
import type { RegistryFileContents } from './registry-file.js';

export { serviceFromKubernetes } from '../registry/kubernetes-service.js';

export class LocalRegistry {
  readonly registry = new MemoryRegistry('Kubernetes');
  private readonly store: ConfigStore;
  private readonly warn: (message: string) => void;
  private file: RegistryFileContents = { services: [], workloads: [] };
  private readonly serviceKeys = new Set<string>();
  private readonly workloadKeys = new Set<string>();
  private readonly unsubscribe: () => void;
  private readonly warned = new Set<string>();

  constructor(store: ConfigStore, warn: (message: string) => void) {
    this.store = store;
    this.warn = warn;
    this.unsubscribe = store.subscribe(() => this.sync());
    this.sync();
  }

  /** Replaces what the registry file contributes. */
  setFile(contents: RegistryFileContents): void {
    this.file = contents;
    this.sync();
  }

  close(): void {
    this.unsubscribe();
  }

  private sync(): void {
    const services = new Map<string, Service>();
    for (const resource of this.store.list(KIND.Service)) {
      const converted = serviceFromKubernetes(resource);
      if (typeof converted === 'string') {
        this.warnOnce(converted);
        continue;
      }
      services.set(`${converted.namespace}/${converted.name}`, converted);
    }
    for (const service of this.file.services) {
      const key = `${service.namespace}/${service.name}`;
      if (services.has(key)) this.warnOnce(`service ${key} is declared both as a Kubernetes Service in the config directory and in the registry file; using the registry file's`);
      services.set(key, service);
    }
    const workloads = new Map<string, Workload>(this.file.workloads.map((w) => [`${w.namespace}/${w.name}`, w]));
    this.registry.batch(() => {
      for (const key of this.serviceKeys) {
        if (services.has(key)) continue;
        const [namespace = '', name = ''] = key.split('/');
        this.registry.removeService(kubernetesHostname(name, namespace), namespace);
      }
      for (const key of this.workloadKeys) {
        if (workloads.has(key)) continue;
        const [namespace = '', name = ''] = key.split('/');
        this.registry.removeWorkload(namespace, name);
      }
      for (const service of services.values()) this.registry.addService(service);
      for (const workload of workloads.values()) this.registry.addWorkload(workload);
    });
    this.serviceKeys.clear();
    for (const key of services.keys()) this.serviceKeys.add(key);
    this.workloadKeys.clear();
    for (const key of workloads.keys()) this.workloadKeys.add(key);
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.warn(message);
  }
}
