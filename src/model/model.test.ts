import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildMeshSnapshot,
  endpointsOf,
  hostsOverlap,
  hostSubsetOf,
  isVisibleFrom,
  parseProxy,
  protocolFromPortName,
  resolveShortName,
  type ConfigResource,
  type Service,
} from './index.js';

describe('protocolFromPortName (Istio kube.ConvertProtocol)', () => {
  test('port name prefix before the first dash', () => {
    assert.equal(protocolFromPortName(9080, 'http'), 'HTTP');
    assert.equal(protocolFromPortName(9080, 'http2-api'), 'HTTP2');
    assert.equal(protocolFromPortName(50051, 'GRPC-x'), 'GRPC');
    assert.equal(protocolFromPortName(8080, 'grpc-web-ui'), 'GRPC-Web');
    assert.equal(protocolFromPortName(27017, 'mongo'), 'Mongo');
  });
  test('appProtocol wins, with Kubernetes standard names', () => {
    assert.equal(protocolFromPortName(80, 'tcp', 'http'), 'HTTP');
    assert.equal(protocolFromPortName(80, 'x', 'kubernetes.io/h2c'), 'HTTP2');
    assert.equal(protocolFromPortName(443, 'x', 'kubernetes.io/wss'), 'HTTPS');
  });
  test('unknown names are UnsupportedProtocol, except well-known TCP ports', () => {
    assert.equal(protocolFromPortName(8080, 'web'), 'UnsupportedProtocol');
    assert.equal(protocolFromPortName(3306, 'db'), 'TCP');
    assert.equal(protocolFromPortName(53, 'udp', undefined, true), 'UDP');
  });
});

describe('parseProxy (Istio ParseServiceNodeWithMetadata)', () => {
  test('four parts; namespace from NAMESPACE or the DNS domain', () => {
    const r = parseProxy('sidecar~10.0.0.1~productpage-v1.default~default.svc.cluster.local');
    assert.ok(r.ok);
    assert.equal(r.proxy.type, 'sidecar');
    assert.equal(r.proxy.id, 'productpage-v1.default');
    assert.deepEqual(r.proxy.ipAddresses, ['10.0.0.1']);
    assert.equal(r.proxy.namespace, 'default');
    assert.equal(r.proxy.captureMode, 'iptables');
    const withMeta = parseProxy('router~10.0.0.2~gw.istio-system~cluster.local', {
      NAMESPACE: 'istio-system',
      INSTANCE_IPS: '10.0.0.7,10.0.0.8',
      LABELS: { istio: 'ingressgateway' },
    });
    assert.ok(withMeta.ok);
    assert.equal(withMeta.proxy.namespace, 'istio-system');
    assert.deepEqual(withMeta.proxy.ipAddresses, ['10.0.0.7', '10.0.0.8']);
  });
  test('rejects bad ids with Istio messages', () => {
    assert.deepEqual(parseProxy('sidecar~1.2.3.4~x'), { ok: false, error: 'missing parts in the service node "sidecar~1.2.3.4~x"' });
    assert.equal(parseProxy('waiter~1.2.3.4~a.b~b.svc').ok, false);
    assert.equal(parseProxy('sidecar~not-ip~a.b~b.svc').ok, false);
  });
  test('http-proxy capture mode with app ports, and the gRPC generator', () => {
    const r = parseProxy('sidecar~127.0.10.3~pp.default~default.svc.cluster.local', {
      INTERCEPTION_MODE: 'NONE',
      HTTP_PROXY_PORT: '15080',
      SKEIN_APP_PORTS: '9080:31001',
      GENERATOR: 'grpc',
    });
    assert.ok(r.ok);
    assert.equal(r.proxy.captureMode, 'http-proxy');
    assert.equal(r.proxy.httpProxyPort, 15080);
    assert.deepEqual(r.proxy.appPorts, { 9080: 31001 });
    assert.equal(r.proxy.appAddress, '127.0.0.1');
    assert.equal(r.proxy.generator, 'grpc');
    assert.equal(parseProxy('sidecar~127.0.0.1~a.b~b.svc', { SKEIN_APP_PORTS: '9080' }).ok, false);
  });
});

describe('hosts', () => {
  test('short names resolve relative to the namespace', () => {
    assert.equal(resolveShortName('reviews', 'default'), 'reviews.default.svc.cluster.local');
    assert.equal(resolveShortName('reviews.other', 'default'), 'reviews.other');
    assert.equal(resolveShortName('*', 'default'), '*');
  });
  test('Istio Matches / SubsetOf', () => {
    assert.ok(hostsOverlap('*.com', 'foo.com'));
    assert.ok(hostsOverlap('bar.com', '*.com'));
    assert.ok(!hostsOverlap('*.foo.com', 'foo.com'));
    assert.ok(hostsOverlap('*', '*.com'));
    assert.ok(hostSubsetOf('a.foo.com', '*.foo.com'));
    assert.ok(!hostSubsetOf('*.foo.com', 'a.foo.com'));
    assert.ok(hostSubsetOf('*.a.foo.com', '*.foo.com'));
  });
  test('exportTo visibility', () => {
    assert.ok(isVisibleFrom([], 'a', 'b'));
    assert.ok(isVisibleFrom(['.'], 'a', 'a'));
    assert.ok(!isVisibleFrom(['.'], 'a', 'b'));
    assert.ok(isVisibleFrom(['b'], 'a', 'b'));
    assert.ok(!isVisibleFrom(['~'], 'a', 'a'));
  });
});

describe('snapshot', () => {
  const service: Service = {
    hostname: 'reviews.default.svc.cluster.local',
    name: 'reviews',
    namespace: 'default',
    ports: [{ name: 'http', port: 9080, protocol: 'HTTP', targetPort: 9081 }],
    addresses: [],
    labels: {},
    exportTo: [],
    resolution: 'STATIC',
    location: 'MESH_INTERNAL',
    registry: 'Local',
  };
  test('endpoints take the named workload port, else the target port', () => {
    const base = {
      namespace: 'default',
      address: '10.0.0.1',
      labels: { app: 'reviews' },
      serviceAccount: 'sa',
      locality: { region: '', zone: '', subzone: '' },
      health: 'HEALTHY' as const,
      weight: 1,
      network: '',
    };
    const eps = endpointsOf(service, [
      { ...base, name: 'a', ports: {} },
      { ...base, name: 'b', ports: { http: 7000 } },
    ]);
    assert.deepEqual(
      eps.map((e) => e.port),
      [9081, 7000],
    );
  });
  test('config sorted by age then namespace/name, unknown kinds left out', () => {
    const mk = (name: string, kind: string, creationTimestamp?: string): ConfigResource => ({
      kind,
      group: 'networking.istio.io',
      version: 'v1',
      name,
      namespace: 'default',
      labels: {},
      annotations: {},
      spec: {},
      revision: '1',
      ...(creationTimestamp ? { creationTimestamp } : {}),
    });
    const snap = buildMeshSnapshot({
      version: 'v1',
      services: [service],
      configs: [
        mk('b', 'VirtualService', '2024-01-01T00:00:00Z'),
        mk('a', 'VirtualService', '2024-01-02T00:00:00Z'),
        mk('c', 'EnvoyFilter'),
      ],
    });
    assert.deepEqual(
      snap.configs.virtualServices.map((c) => c.name),
      ['b', 'a'],
    );
    assert.equal(snap.meshConfig.rootNamespace, 'istio-system');
    assert.ok(Object.isFrozen(snap.configs.virtualServices));
  });
});
