/**
 * The service registry of `skein control`: Kubernetes `Service` objects found in the config
 * directory plus the services and workloads of the registry file, in one in-memory registry
 * (so a Service from the directory selects workloads declared in the registry file). Each
 * source replaces its whole contribution on every change; the registry notifies only what
 * actually changed (a workload change is an EDS-only push).
 */
import { isIP } from 'node:net';
import { KIND } from '../config/kinds.js';
import type { ConfigStore } from '../config/store/config-store.js';
import type { ConfigResource } from '../model/config.js';
import type { Workload } from '../model/endpoint.js';
import { protocolFromPortName } from '../model/protocol.js';
import type { Service, ServicePort } from '../model/service.js';
import { kubernetesHostname } from '../registry/hostnames.js';
import { MemoryRegistry } from '../registry/memory-registry.js';
import type { RegistryFileContents } from './registry-file.js';

interface KubernetesServicePort {
  readonly name?: string;
  readonly port: number;
  readonly targetPort?: number | string;
  readonly protocol?: string;
  readonly appProtocol?: string;
}

interface KubernetesServiceSpec {
  readonly type?: string;
  readonly clusterIP?: string;
  readonly clusterIPs?: readonly string[];
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports?: readonly KubernetesServicePort[];
}

/** Istio's annotation limiting where a Kubernetes Service is visible. */
const EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo';

/**
 * A Kubernetes Service as Istio's Kubernetes registry converts it (pilot/pkg/serviceregistry/kube
 * conversion.go `ConvertService`): `name.namespace.svc.cluster.local`, protocol from
 * appProtocol or the port name, cluster IPs as VIPs, headless (`clusterIP: None`) as
 * passthrough. A numeric targetPort is where workloads listen; a named one is resolved per
 * workload by its `ports` entry of that name. ExternalName services are not supported.
 */
export function serviceFromKubernetes(resource: ConfigResource): Service | string {
  const spec = resource.spec as KubernetesServiceSpec;
  if (spec.type === 'ExternalName') return `Service ${resource.namespace}/${resource.name}: type ExternalName is not supported; ignored`;
  const ips = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
  const headless = ips.includes('None');
  const ports = (spec.ports ?? []).filter((p) => typeof p.port === 'number').map((p): ServicePort => ({
    name: p.name ?? '',
    port: p.port,
    protocol: protocolFromPortName(p.port, p.name ?? '', p.appProtocol, p.protocol === 'UDP'),
    ...(typeof p.targetPort === 'number' && p.targetPort !== p.port ? { targetPort: p.targetPort } : {}),
  }));
  const exportTo = resource.annotations[EXPORT_TO_ANNOTATION];
  return {
    hostname: kubernetesHostname(resource.name, resource.namespace),
    name: resource.name,
    namespace: resource.namespace,
    ports,
    addresses: ips.filter((ip) => isIP(ip) !== 0),
    labels: resource.labels,
    ...(spec.selector ? { selector: spec.selector } : {}),
    exportTo: exportTo ? exportTo.split(',').map((s) => s.trim()).filter((s) => s !== '') : [],
    resolution: headless ? 'NONE' : 'STATIC',
    location: 'MESH_INTERNAL',
    registry: 'Kubernetes',
    ...(resource.creationTimestamp ? { creationTimestamp: resource.creationTimestamp } : {}),
  };
}

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
