import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../config/parse.js';
import { MemoryConfigStore } from '../config/store/memory-store.js';
import { EMPTY_LOCALITY, type Workload } from '../model/endpoint.js';
import type { Service } from '../model/service.js';
import { AggregateRegistry } from './aggregate-registry.js';
import { resolveHostname } from './hostnames.js';
import { MemoryRegistry } from './memory-registry.js';
import type { RegistryChange } from './service-discovery.js';
import { ServiceEntryRegistry } from './service-entry-registry.js';

function resources(yaml: string) {
  const parsed = parseConfig(yaml, 'test.yaml');
  assert.deepEqual(parsed.diagnostics.filter((d) => d.level === 'error'), []);
  return parsed.resources.map((r) => r.resource);
}

const SERVICE_ENTRIES = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: external-api}
spec:
  hosts: [api.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: https, protocol: TLS}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: static-db}
spec:
  hosts: [db.internal]
  addresses: [10.0.0.9]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 5432, name: tcp-db, protocol: TCP, targetPort: 6432}]
  endpoints:
  - {address: 10.1.0.1, labels: {version: v1}}
  - {address: 10.1.0.2, ports: {tcp-db: 7432}, weight: 3, locality: us-east/a}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: vms}
spec:
  hosts: [vm.example.internal]
  addresses: [10.0.0.10]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  workloadSelector: {labels: {app: vm}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: passthrough}
spec:
  hosts: ["*.wild.example.com"]
  resolution: NONE
  ports: [{number: 80, name: http, protocol: HTTP}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-1}
spec: {address: 10.2.0.1, labels: {app: vm}, serviceAccount: vm-sa}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: other}
spec: {address: 10.2.0.2, labels: {app: other}}
`;

describe('ServiceEntryRegistry', () => {
  const store = new MemoryConfigStore();
  store.apply(resources(SERVICE_ENTRIES));
  const registry = new ServiceEntryRegistry(store);

  it('makes one service per host with its ports, addresses, resolution and location', () => {
    assert.deepEqual(registry.services().map((s) => `${s.hostname} ${s.resolution} ${s.location}`), [
      '*.wild.example.com NONE MESH_EXTERNAL',
      'api.example.com DNS MESH_EXTERNAL',
      'db.internal STATIC MESH_INTERNAL',
      'vm.example.internal STATIC MESH_INTERNAL',
    ]);
    const db = registry.service('db.internal', 'default');
    assert.deepEqual(db?.ports, [{ name: 'tcp-db', port: 5432, protocol: 'TCP', targetPort: 6432 }]);
    assert.deepEqual(db?.addresses, ['10.0.0.9']);
    assert.equal(db?.registry, 'External');
  });

  it('takes STATIC endpoints inline, DNS endpoints from the host, none for NONE', () => {
    const db = registry.endpoints({ hostname: 'db.internal', namespace: 'default' });
    assert.deepEqual(db.map((e) => `${e.address}:${e.port} w${e.weight} ${e.locality.region}`), ['10.1.0.1:6432 w1 ', '10.1.0.2:7432 w3 us-east']);
    assert.deepEqual(registry.endpoints({ hostname: 'api.example.com', namespace: 'default' }).map((e) => `${e.address}:${e.port}`), ['api.example.com:443']);
    assert.deepEqual(registry.endpoints({ hostname: '*.wild.example.com', namespace: 'default' }), []);
  });

  it('selects WorkloadEntries of its namespace with workloadSelector', () => {
    const workloads = registry.workloads({ hostname: 'vm.example.internal', namespace: 'default' });
    assert.deepEqual(workloads.map((w) => `${w.name} ${w.address} ${w.serviceAccount}`), ['vm-1 10.2.0.1 vm-sa']);
  });

  it('reports a WorkloadEntry change as an endpoints-only change, a ServiceEntry change as a service change', () => {
    const changes: RegistryChange[] = [];
    registry.subscribe((c) => changes.push(c));
    store.apply(resources(`apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-2}
spec: {address: 10.2.0.3, labels: {app: vm}}
`));
    assert.deepEqual([...changes], [{ services: [], endpoints: [{ hostname: 'vm.example.internal', namespace: 'default' }] }]);
    store.apply(resources(SERVICE_ENTRIES.split('---')[0]!.replace('443', '8443')));
    assert.equal(changes.length, 2);
    assert.deepEqual(changes[1]?.services.map((s) => `${s.event} ${s.service.hostname}`), ['update api.example.com']);
    assert.deepEqual(changes[1]?.endpoints, []);
  });
});

function service(hostname: string, namespace: string, overrides: Partial<Service> = {}): Service {
  return {
    hostname,
    name: hostname.split('.')[0] ?? hostname,
    namespace,
    ports: [{ name: 'http', port: 9080, protocol: 'HTTP' }],
    addresses: [],
    labels: {},
    selector: { app: hostname.split('.')[0] ?? hostname },
    exportTo: [],
    resolution: 'STATIC',
    location: 'MESH_INTERNAL',
    registry: 'Local',
    ...overrides,
  };
}

function workload(name: string, labels: Record<string, string>, address: string, namespace = 'default'): Workload {
  return { name, namespace, address, ports: {}, labels, serviceAccount: 'default', locality: EMPTY_LOCALITY, health: 'HEALTHY', weight: 1, network: '' };
}

describe('MemoryRegistry', () => {
  it('selects workloads of the service namespace by labels and tells endpoint changes from service changes', () => {
    const registry = new MemoryRegistry();
    const changes: RegistryChange[] = [];
    registry.subscribe((c) => changes.push(c));
    registry.addService(service('reviews.default.svc.cluster.local', 'default'));
    registry.batch(() => {
      registry.addWorkload(workload('reviews-v1', { app: 'reviews', version: 'v1' }, '127.0.0.1'));
      registry.addWorkload(workload('reviews-v2', { app: 'reviews', version: 'v2' }, '127.0.0.2'));
      registry.addWorkload(workload('reviews-other-ns', { app: 'reviews' }, '127.0.0.3', 'prod'));
    });
    const key = { hostname: 'reviews.default.svc.cluster.local', namespace: 'default' };
    assert.deepEqual(registry.endpoints(key).map((e) => `${e.address}:${e.port} ${e.labels.version}`), ['127.0.0.1:9080 v1', '127.0.0.2:9080 v2']);
    assert.deepEqual(changes.map((c) => [c.services.map((s) => s.event), c.endpoints.length]), [[['add'], 0], [[], 1]]);
    registry.removeWorkload('default', 'reviews-v1');
    assert.deepEqual(changes.at(-1), { services: [], endpoints: [key] });
    registry.removeService(key.hostname, key.namespace);
    assert.deepEqual(changes.at(-1)?.services.map((s) => s.event), ['delete']);
    registry.removeWorkload('prod', 'reviews-other-ns');
    assert.equal(changes.length, 4, 'a workload no service selects changes nothing');
  });
});

describe('AggregateRegistry', () => {
  it('lets a Kubernetes service win over a ServiceEntry for the same host, else the oldest', () => {
    const kube = new MemoryRegistry('Kubernetes');
    const external = new MemoryRegistry('External');
    const local = new MemoryRegistry('Local');
    const aggregate = new AggregateRegistry([external, local]);
    external.addService(service('reviews.default.svc.cluster.local', 'default', { registry: 'External', creationTimestamp: '2020-01-01T00:00:00Z' }));
    external.addService(service('api.example.com', 'default', { registry: 'External', creationTimestamp: '2024-01-01T00:00:00Z' }));
    local.addService(service('api.example.com', 'default', { registry: 'Local', creationTimestamp: '2023-01-01T00:00:00Z' }));
    aggregate.addRegistry(kube);
    kube.addService(service('reviews.default.svc.cluster.local', 'default', { registry: 'Kubernetes', creationTimestamp: '2025-01-01T00:00:00Z' }));
    kube.addWorkload(workload('reviews-v1', { app: 'reviews' }, '10.0.0.1'));
    assert.deepEqual(aggregate.services().map((s) => `${s.hostname} ${s.registry}`), ['api.example.com Local', 'reviews.default.svc.cluster.local Kubernetes']);
    assert.equal(aggregate.service('reviews.default.svc.cluster.local')?.registry, 'Kubernetes');
    assert.deepEqual(aggregate.endpoints({ hostname: 'reviews.default.svc.cluster.local', namespace: 'default' }).map((e) => e.address), ['10.0.0.1']);
    const seen: RegistryChange[] = [];
    aggregate.subscribe((c) => seen.push(c));
    kube.removeWorkload('default', 'reviews-v1');
    assert.equal(seen.length, 1);
  });
});

describe('short names', () => {
  it("resolve relative to the namespace with MeshConfig's domain suffix; dotted names are kept", () => {
    assert.equal(resolveHostname('reviews', 'default'), 'reviews.default.svc.cluster.local');
    assert.equal(resolveHostname('reviews', 'prod', { domainSuffix: 'mesh.internal' }), 'reviews.prod.svc.mesh.internal');
    assert.equal(resolveHostname('reviews.prod', 'default'), 'reviews.prod');
    assert.equal(resolveHostname('*.example.com', 'default'), '*.example.com');
    assert.equal(resolveHostname('*', 'default'), '*');
  });
});
