/** Shared test helpers for translation tests (not a test file: the runner only picks up `*.test.js`). */
import assert from 'node:assert/strict';
import {
  buildMeshSnapshot,
  endpointsOf,
  parseProxy,
  type ConfigResource,
  type MeshConfig,
  type MeshSnapshot,
  type NodeMetadata,
  type Proxy,
  type Service,
  type ServiceEndpoint,
  type Workload,
} from '../model/index.js';
import { decodeProtoJson, formatPath } from '../xds/proto-json.js';
import type { XdsResource } from './xds-resource.js';

/**
 * Asserts every resource is real, strict Envoy config: it decodes as its type URL's message
 * (and every embedded Any as its own type) with no unknown field, wrong type or bad enum.
 */
export function assertEnvoyResources(typeUrl: string, resources: readonly XdsResource[]): void {
  const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  for (const r of resources) {
    const result = decodeProtoJson(typeName, r.resource);
    if (!result.ok) {
      assert.fail(`${r.name} is not a valid ${typeName}:\n${result.errors.map((e) => `  ${formatPath(e.path)}: ${e.message}`).join('\n')}`);
    }
  }
}

export function service(name: string, namespace: string, ports: Service['ports'], extra: Partial<Service> = {}): Service {
  return {
    hostname: `${name}.${namespace}.svc.cluster.local`,
    name,
    namespace,
    ports,
    addresses: [],
    labels: { app: name },
    selector: { app: name },
    exportTo: [],
    resolution: 'STATIC',
    location: 'MESH_INTERNAL',
    registry: 'Kubernetes',
    ...extra,
  };
}

export function workload(name: string, namespace: string, address: string, labels: Record<string, string>, extra: Partial<Workload> = {}): Workload {
  return {
    name,
    namespace,
    address,
    ports: {},
    labels,
    serviceAccount: `bookinfo-${labels.app ?? name}`,
    locality: { region: '', zone: '', subzone: '' },
    health: 'HEALTHY',
    weight: 1,
    network: '',
    ...extra,
  };
}

export function config<Spec>(kind: string, name: string, spec: Spec, extra: Partial<ConfigResource<Spec>> = {}): ConfigResource<Spec> {
  const group = ['HTTPRoute', 'GRPCRoute', 'KubernetesGateway'].includes(kind) ? 'gateway.networking.k8s.io' : 'networking.istio.io';
  return {
    kind: kind === 'KubernetesGateway' ? 'Gateway' : kind,
    group,
    version: 'v1',
    name,
    namespace: 'default',
    labels: {},
    annotations: {},
    spec,
    revision: '1',
    ...extra,
  };
}

const HTTP_9080 = [{ name: 'http', port: 9080, protocol: 'HTTP' as const }];

/** Bookinfo as Istio's platform/kube/bookinfo.yaml deploys it: four services on 9080, six workloads. */
export function bookinfoServices(vips = false): Service[] {
  return ['productpage', 'details', 'reviews', 'ratings'].map((name, i) =>
    service(name, 'default', HTTP_9080, vips ? { addresses: [`10.96.0.${10 + i}`] } : {}),
  );
}

/** Workloads at `<ipPrefix><n>`: productpage-v1 .1, details-v1 .2, reviews-v1..v3 .3-.5, ratings-v1 .6. */
export function bookinfoWorkloads(ipPrefix: string): Workload[] {
  const w = (name: string, app: string, version: string, n: number) =>
    workload(name, 'default', `${ipPrefix}${n}`, { app, version });
  return [
    w('productpage-v1', 'productpage', 'v1', 1),
    w('details-v1', 'details', 'v1', 2),
    w('reviews-v1', 'reviews', 'v1', 3),
    w('reviews-v2', 'reviews', 'v2', 4),
    w('reviews-v3', 'reviews', 'v3', 5),
    w('ratings-v1', 'ratings', 'v1', 6),
  ];
}

export function snapshotOf(
  services: readonly Service[],
  workloads: readonly Workload[],
  configs: readonly ConfigResource[] = [],
  meshConfig?: MeshConfig,
): MeshSnapshot {
  const endpoints: Record<string, ServiceEndpoint[]> = {};
  for (const s of services) {
    endpoints[s.hostname] = endpointsOf(
      s,
      workloads.filter((w) => w.namespace === s.namespace && Object.entries(s.selector ?? {}).every(([k, v]) => w.labels[k] === v)),
    );
  }
  return buildMeshSnapshot({ version: 'test', services, endpoints, configs, ...(meshConfig ? { meshConfig } : {}) });
}

export function proxyOf(nodeId: string, metadata: NodeMetadata = {}): Proxy {
  const r = parseProxy(nodeId, metadata);
  if (!r.ok) throw new Error(r.error);
  return r.proxy;
}

/** The resource named `name`, or a failed assertion listing what there is. */
export function find(resources: readonly XdsResource[], name: string): Record<string, unknown> {
  const r = resources.find((x) => x.name === name);
  assert.ok(r, `no resource ${name}; have ${resources.map((x) => x.name).join(', ')}`);
  return r.resource;
}
