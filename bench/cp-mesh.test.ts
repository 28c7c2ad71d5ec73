import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../src/config/parse.js';
import { parseProxy } from '../src/model/proxy.js';
import { buildMesh, maxProxies, podIp, SHARED_NAMESPACE, simProxies, virtualServiceYaml } from './cp-mesh.js';

const OPTIONS = { services: 100, namespaces: 10, isolation: 'namespace' as const };

describe('the control-plane benchmark mesh', () => {
  const mesh = buildMesh(OPTIONS);

  it('loads through the real config loader without a single error', () => {
    const parsed = parseConfig(mesh.configYaml, 'bench-mesh.yaml');
    assert.deepEqual(
      parsed.diagnostics.filter((d) => d.level === 'error').map((d) => d.message),
      [],
    );
    const kinds = new Map<string, number>();
    for (const r of parsed.resources) kinds.set(r.resource.kind, (kinds.get(r.resource.kind) ?? 0) + 1);
    // 2 shared services (all with DR and VS) + 98 over 10 namespaces (every other: DR, every fourth: VS).
    assert.equal(kinds.get('DestinationRule'), 2 + 50);
    assert.equal(kinds.get('VirtualService'), 2 + 30);
    assert.equal(kinds.get('Sidecar'), 11);
  });

  it('gives every namespace the same mix of services', () => {
    const perNamespace = new Map<string, { services: number; rules: number }>();
    for (const s of mesh.services) {
      if (s.namespace === SHARED_NAMESPACE) continue;
      const entry = perNamespace.get(s.namespace) ?? { services: 0, rules: 0 };
      entry.services++;
      if (s.destinationRule) entry.rules++;
      perNamespace.set(s.namespace, entry);
    }
    assert.equal(perNamespace.size, 10);
    for (const { services, rules } of perNamespace.values()) {
      assert.ok(services >= 9 && services <= 10);
      assert.equal(rules, Math.ceil(services / 2));
    }
  });

  it('has no Sidecar without namespace isolation', () => {
    const open = buildMesh({ ...OPTIONS, isolation: 'none' });
    assert.ok(!open.configYaml.includes('kind: Sidecar'));
  });

  it('makes each simulated proxy a distinct pod of the registry, as Istio would parse it', () => {
    const specs = simProxies(mesh, 250);
    assert.equal(new Set(specs.map((s) => s.id)).size, 250);
    const byAddress = new Map(mesh.workloads.map((w) => [w.address, w]));
    for (const spec of specs) {
      const parsed = parseProxy(spec.id, spec.metadata);
      assert.ok(parsed.ok, spec.id);
      const proxy = parsed.proxy;
      assert.equal(proxy.type, 'sidecar');
      assert.equal(proxy.captureMode, 'iptables');
      const pod = byAddress.get(proxy.ipAddresses[0]!);
      assert.ok(pod, `no pod at ${proxy.ipAddresses[0]}`);
      assert.equal(proxy.namespace, pod.namespace);
      assert.deepEqual(proxy.labels, pod.labels);
      assert.equal(proxy.id, `${pod.name}.${pod.namespace}`);
    }
    assert.equal(new Set(specs.map((s) => s.metadata.NAMESPACE)).size, 11);
  });

  it('refuses more proxies than the pods can carry', () => {
    assert.equal(maxProxies(mesh), 400);
    assert.doesNotThrow(() => simProxies(mesh, 400));
    assert.throws(() => simProxies(mesh, 401), /raise --services/);
  });

  it('writes VirtualService changes the loader accepts', () => {
    const service = mesh.services[0]!;
    const parsed = parseConfig(virtualServiceYaml(service, 50), 'change.yaml');
    assert.equal(parsed.diagnostics.filter((d) => d.level === 'error').length, 0);
    assert.equal(parsed.resources.length, 1);
  });

  it('keeps pod IPs inside 127.16.0.0/12', () => {
    assert.equal(podIp(1), '127.16.0.1');
    assert.equal(podIp(65536 + 258), '127.17.1.2');
    assert.throws(() => podIp(0), RangeError);
    assert.throws(() => podIp(16 * 65536), RangeError);
  });
});
