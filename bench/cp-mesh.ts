/**
 * The mesh the control-plane benchmark serves: Kubernetes-shaped services, their workloads (the
 * pods), Istio config as YAML for the real loader, and one simulated sidecar per chosen pod.
 *
 * Shape (the shape of Istio's own load test, istio/tools perf/load: namespaces of services, and
 * a `Sidecar` per namespace importing `./*` plus one shared namespace, as that test's Sidecar
 * imports `istio-system/*`):
 * - `services` services, each with an `http` port 9080 and a `grpc` port 9090, selecting
 *   `app: <name>`; 2 % of them (at least 2) live in namespace `shared`, the rest round-robin in
 *   `ns-0` … `ns-<namespaces-1>`;
 * - per service, versions v1 and v2 × 2 replicas (3 for every other one): pods with their own
 *   fake IP in 127.16.0.0/12 of the loopback range — nothing listens or connects there;
 * - a DestinationRule with subsets v1/v2 for every shared service and every other service of a
 *   namespace; a VirtualService (header match `end-user: jason` → v2, else 80/20 v1/v2) for
 *   every shared service and every fourth one of a namespace;
 * - with `isolation: 'namespace'`, a Sidecar `default` in every namespace: egress `./*` and
 *   `shared/*`, so a proxy sees its namespace and the shared services, as in Istio's test.
 * Everything is a pure function of the options, so two processes build the same mesh.
 */
import type { Workload } from '../src/model/endpoint.js';
import { EMPTY_LOCALITY } from '../src/model/endpoint.js';
import type { NodeMetadata } from '../src/model/proxy.js';
import { proxyNodeId } from '../src/model/proxy.js';
import type { Service } from '../src/model/service.js';
import { kubernetesHostname } from '../src/registry/hostnames.js';

export const SHARED_NAMESPACE = 'shared';
export const HTTP_PORT = 9080;
export const GRPC_PORT = 9090;
export const ISTIO_VERSION = '1.24.0';

export type Isolation = 'namespace' | 'none';

export interface MeshOptions {
  readonly services: number;
  readonly namespaces: number;
  readonly isolation: Isolation;
}

export interface BenchService {
  readonly index: number;
  readonly name: string;
  readonly namespace: string;
  readonly replicasPerVersion: number;
  readonly destinationRule: boolean;
  readonly virtualService: boolean;
}

export interface SimProxySpec {
  /** `sidecar~IP~pod.ns~ns.svc.cluster.local`. */
  readonly id: string;
  /** Envoy's `--service-cluster` as Istio's agent sets it: `app.namespace`. */
  readonly cluster: string;
  readonly metadata: NodeMetadata;
}

export function sharedServiceCount(services: number): number {
  return Math.min(services, Math.max(2, Math.round(services * 0.02)));
}

export function benchServices(options: MeshOptions): BenchService[] {
  const shared = sharedServiceCount(options.services);
  return Array.from({ length: options.services }, (_, index) => {
    const isShared = index < shared;
    // Position inside its namespace, so every namespace gets the same mix.
    const position = isShared ? index : Math.floor((index - shared) / options.namespaces);
    return {
      index,
      name: `svc-${index}`,
      namespace: isShared ? SHARED_NAMESPACE : `ns-${(index - shared) % options.namespaces}`,
      replicasPerVersion: position % 2 === 1 ? 3 : 2,
      destinationRule: isShared || position % 2 === 0,
      virtualService: isShared || position % 4 === 0,
    };
  });
}

export function hostnameOf(service: BenchService): string {
  return kubernetesHostname(service.name, service.namespace);
}

/** Kubernetes' default service CIDR 10.96.0.0/12: a VIP per service (never bound). */
function vipOf(index: number): string {
  const n = index + 10;
  return `10.96.${(n >> 8) & 255}.${n & 255}`;
}

/** Pod IPs in 127.16.0.0/12: n ≥ 1 → 127.(16 + n/65536).(n/256 % 256).(n % 256). */
export function podIp(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n >= 16 * 65536) throw new RangeError(`pod number ${n} out of range`);
  return `127.${16 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
}

export function toService(service: BenchService): Service {
  return {
    hostname: hostnameOf(service),
    name: service.name,
    namespace: service.namespace,
    ports: [
      { name: 'http', port: HTTP_PORT, protocol: 'HTTP' },
      { name: 'grpc', port: GRPC_PORT, protocol: 'GRPC' },
    ],
    addresses: [vipOf(service.index)],
    labels: { app: service.name },
    selector: { app: service.name },
    exportTo: [],
    resolution: 'STATIC',
    location: 'MESH_INTERNAL',
    registry: 'Kubernetes',
    serviceAccounts: [`spiffe://cluster.local/ns/${service.namespace}/sa/${service.name}`],
  };
}

/** Pods of a service, v1 and v2 interleaved (v1-0, v2-0, v1-1, v2-1, …) so any prefix has both versions. */
export function podsOf(service: BenchService, firstPodNumber: number): Workload[] {
  const pods: Workload[] = [];
  for (let replica = 0; replica < service.replicasPerVersion; replica++) {
    for (const version of ['v1', 'v2']) {
      pods.push(pod(service, version, `${replica}`, podIp(firstPodNumber + pods.length)));
    }
  }
  return pods;
}

export function pod(service: BenchService, version: string, suffix: string, address: string): Workload {
  return {
    name: `${service.name}-${version}-${suffix}`,
    namespace: service.namespace,
    address,
    ports: { http: HTTP_PORT, grpc: GRPC_PORT },
    labels: { app: service.name, version },
    serviceAccount: service.name,
    locality: EMPTY_LOCALITY,
    health: 'HEALTHY',
    weight: 1,
    network: '',
  };
}

export interface BenchMesh {
  readonly services: readonly BenchService[];
  readonly registryServices: readonly Service[];
  readonly workloads: readonly Workload[];
  /** Multi-document YAML of every DestinationRule, VirtualService and Sidecar. */
  readonly configYaml: string;
  /** The next free pod number (for pods added during the run). */
  readonly nextPodNumber: number;
}

export function buildMesh(options: MeshOptions): BenchMesh {
  if (options.services < 2) throw new Error('--services must be at least 2');
  if (options.namespaces < 1) throw new Error('--namespaces must be at least 1');
  const services = benchServices(options);
  const workloads: Workload[] = [];
  for (const service of services) workloads.push(...podsOf(service, workloads.length + 1));
  const documents: string[] = [];
  for (const service of services) {
    if (service.destinationRule) documents.push(destinationRuleYaml(service));
    if (service.virtualService) documents.push(virtualServiceYaml(service, 80));
  }
  if (options.isolation === 'namespace') {
    for (const namespace of new Set(services.map((s) => s.namespace))) documents.push(sidecarYaml(namespace));
  }
  return {
    services,
    registryServices: services.map(toService),
    workloads,
    configYaml: documents.join('---\n'),
    nextPodNumber: workloads.length + 1,
  };
}

export function destinationRuleYaml(service: BenchService): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${service.name}
  namespace: ${service.namespace}
spec:
  host: ${service.name}
  trafficPolicy:
    loadBalancer:
      simple: LEAST_REQUEST
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
`;
}

/** Istio's reviews-test-v2 pattern plus a weighted default route; `v1Weight` is what config changes vary. */
export function virtualServiceYaml(service: BenchService, v1Weight: number): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${service.name}
  namespace: ${service.namespace}
spec:
  hosts:
  - ${service.name}
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    route:
    - destination:
        host: ${service.name}
        subset: v2
  - route:
    - destination:
        host: ${service.name}
        subset: v1
      weight: ${v1Weight}
    - destination:
        host: ${service.name}
        subset: v2
      weight: ${100 - v1Weight}
`;
}

export function sidecarYaml(namespace: string): string {
  return `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
  namespace: ${namespace}
spec:
  egress:
  - hosts:
    - "./*"
    - "${SHARED_NAMESPACE}/*"
`;
}

/**
 * The sidecars to simulate: proxy p is a pod of service p mod N (so proxies spread over every
 * namespace), replica ⌊p / N⌋ of it. Each gets Istio's node id and the node metadata Istio's
 * agent sends, so the control plane finds it as that pod (labels, namespace, IP).
 */
export function simProxies(mesh: BenchMesh, count: number): SimProxySpec[] {
  const firstPod: number[] = [];
  let next = 0;
  for (const service of mesh.services) {
    firstPod.push(next);
    next += 2 * service.replicasPerVersion;
  }
  const n = mesh.services.length;
  return Array.from({ length: count }, (_, p) => {
    const service = mesh.services[p % n]!;
    const replica = Math.floor(p / n);
    if (replica >= 2 * service.replicasPerVersion) {
      throw new Error(`${count} proxies need more pods than ${n} services have: raise --services`);
    }
    const workload = mesh.workloads[firstPod[service.index]! + replica]!;
    return {
      id: proxyNodeId('sidecar', workload.address, workload.name, workload.namespace),
      cluster: `${service.name}.${service.namespace}`,
      metadata: {
        NAMESPACE: workload.namespace,
        LABELS: workload.labels,
        INSTANCE_IPS: workload.address,
        INTERCEPTION_MODE: 'REDIRECT',
        SERVICE_ACCOUNT: workload.serviceAccount,
        WORKLOAD_NAME: `${service.name}-${workload.labels['version']}`,
        ISTIO_VERSION,
        CLUSTER_ID: 'Kubernetes',
        MESH_ID: 'cluster.local',
      },
    };
  });
}

/** How many proxies `simProxies` can make for this mesh (every service has at least 4 pods). */
export function maxProxies(mesh: BenchMesh): number {
  return 4 * mesh.services.length;
}
