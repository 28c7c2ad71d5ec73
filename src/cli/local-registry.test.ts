import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromText } from '../config/load.js';
import { MemoryConfigStore } from '../config/store/memory-store.js';
import { KIND } from '../config/kinds.js';
import { LocalRegistry, serviceFromKubernetes } from './local-registry.js';
import { parseRegistryFile } from './registry-file.js';

function kubeServices(yaml: string) {
  const loaded = fromText('services.yaml', yaml);
  assert.ok(loaded.accepted, JSON.stringify(loaded.diagnostics));
  return loaded.resources.map((r) => r.resource);
}

const RATINGS = `apiVersion: v1
kind: Service
metadata:
  name: ratings
  labels: {app: ratings}
  annotations: {networking.istio.io/exportTo: "., istio-system"}
spec:
  clusterIP: 10.96.0.12
  selector: {app: ratings}
  ports:
  - {name: http, port: 9080}
  - {name: metrics, port: 9090, targetPort: 19090, appProtocol: http2}
  - {name: dns, port: 53, protocol: UDP}
`;

describe('skein control local registry', () => {
  it('converts a Kubernetes Service as Istio does', () => {
    const [resource] = kubeServices(RATINGS);
    const service = serviceFromKubernetes(resource!);
    assert.ok(typeof service !== 'string');
    assert.equal(service.hostname, 'ratings.default.svc.cluster.local');
    assert.deepEqual(service.addresses, ['10.96.0.12']);
    assert.deepEqual(service.exportTo, ['.', 'istio-system']);
    assert.deepEqual(service.ports, [
      { name: 'http', port: 9080, protocol: 'HTTP' },
      { name: 'metrics', port: 9090, protocol: 'HTTP2', targetPort: 19090 },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ]);
    assert.equal(service.resolution, 'STATIC');
  });

  it('treats headless Services as passthrough and refuses ExternalName', () => {
    const [headless, external] = kubeServices(
      'apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec: {clusterIP: None, selector: {app: db}, ports: [{name: tcp, port: 5432}]}\n---\n' +
        'apiVersion: v1\nkind: Service\nmetadata: {name: ext}\nspec: {type: ExternalName, externalName: example.com}\n',
    );
    const db = serviceFromKubernetes(headless!);
    assert.ok(typeof db !== 'string');
    assert.equal(db.resolution, 'NONE');
    assert.deepEqual(db.addresses, []);
    assert.match(serviceFromKubernetes(external!) as string, /ExternalName is not supported/);
  });

  it('lets Services from the config store select the registry file workloads, and follows both sources', () => {
    const store = new MemoryConfigStore();
    const warnings: string[] = [];
    const local = new LocalRegistry(store, (m) => warnings.push(m));
    const file = parseRegistryFile('- workloads:\n  - {name: ratings-v1, address: 127.0.10.4, labels: {app: ratings, version: v1}}\n', 'r.yaml');
    assert.ok(file.ok);
    local.setFile(file.contents);
    assert.deepEqual(local.registry.services(), []);

    store.apply(kubeServices(RATINGS));
    const key = { hostname: 'ratings.default.svc.cluster.local', namespace: 'default' };
    assert.deepEqual(local.registry.endpoints(key).map((e) => `${e.address}:${e.port}`), ['127.0.10.4:9080', '127.0.10.4:19090', '127.0.10.4:53']);

    store.delete(KIND.Service, 'default', 'ratings');
    assert.deepEqual(local.registry.services(), []);
    local.close();
    assert.deepEqual(warnings, []);
  });
});
