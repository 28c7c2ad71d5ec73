/**
 * Golden xDS for a Bookinfo registry (productpage, details, reviews v1/v2/v3, ratings in
 * `default`, port 9080) with Istio's own Bookinfo config: destination-rule-all,
 * virtual-service-all-v1 then virtual-service-reviews-test-v2 (replacing `reviews`), and
 * bookinfo-gateway. Covers a productpage sidecar in both capture modes and the ingress gateway.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadFile } from '../../src/config/load.js';
import type { ConfigResource, MeshSnapshot, Proxy } from '../../src/model/index.js';
import {
  assertEnvoyResources,
  bookinfoServices,
  bookinfoWorkloads,
  find,
  proxyOf,
  snapshotOf,
} from '../../src/translate/fixtures.test.util.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, generate, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from '../../src/translate/index.js';
import { conformancePath, conformanceSkip } from '../support/conformance.js';
import { assertGolden } from './golden.js';

const TYPES: readonly [string, string][] = [
  ['lds', LISTENER_TYPE_URL],
  ['rds', ROUTE_TYPE_URL],
  ['cds', CLUSTER_TYPE_URL],
  ['eds', ENDPOINT_TYPE_URL],
];

/** Applies files in order as `kubectl apply` would: a later object with the same kind/namespace/name replaces the earlier. */
function loadBookinfoConfig(files: readonly string[]): ConfigResource[] {
  const byKey = new Map<string, ConfigResource>();
  for (const f of files) {
    const loaded = loadFile(conformancePath('istio/bookinfo/networking', f));
    assert.ok(loaded.accepted, `${f}: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
    for (const r of loaded.resources) byKey.set(`${r.resource.group}/${r.resource.kind}/${r.resource.namespace}/${r.resource.name}`, r.resource);
  }
  return [...byKey.values()];
}

function goldenFor(label: string, snapshot: MeshSnapshot, proxy: Proxy): void {
  for (const [short, typeUrl] of TYPES) {
    const resources = generate(snapshot, proxy, typeUrl);
    assertEnvoyResources(typeUrl, resources);
    // Deterministic: a second generation gives the same output.
    assert.deepEqual(generate(snapshot, proxy, typeUrl), resources);
    assertGolden(`${label}.${short}`, resources);
  }
}

describe('Bookinfo golden xDS', conformanceSkip(), () => {
  const files = ['destination-rule-all.yaml', 'virtual-service-all-v1.yaml', 'virtual-service-reviews-test-v2.yaml', 'bookinfo-gateway.yaml'];

  test('productpage sidecar, iptables capture (Istio shape)', () => {
    const snapshot = snapshotOf(bookinfoServices(true), bookinfoWorkloads('10.1.0.'), loadBookinfoConfig(files));
    const proxy = proxyOf('sidecar~10.1.0.1~productpage-v1-5c5d8d9f4-abcde.default~default.svc.cluster.local', {
      NAMESPACE: 'default',
      LABELS: { app: 'productpage', version: 'v1' },
      SERVICE_ACCOUNT: 'bookinfo-productpage',
    });
    goldenFor('productpage-iptables', snapshot, proxy);

    const routes = generate(snapshot, proxy, ROUTE_TYPE_URL);
    const reviews = (find(routes, '9080').virtual_hosts as Record<string, unknown>[]).find((v) => v.name === 'reviews.default.svc.cluster.local:9080');
    assert.ok(reviews, 'reviews virtual host');
    const [jason, fallback] = reviews.routes as Record<string, Record<string, unknown>>[];
    assert.deepEqual(jason?.match, { prefix: '/', case_sensitive: true, headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] });
    assert.equal(jason?.route?.cluster, 'outbound|9080|v2|reviews.default.svc.cluster.local');
    assert.equal(fallback?.route?.cluster, 'outbound|9080|v1|reviews.default.svc.cluster.local');
  });

  test('productpage sidecar, http-proxy capture (local runtime)', () => {
    const snapshot = snapshotOf(bookinfoServices(), bookinfoWorkloads('127.0.10.'), loadBookinfoConfig(files));
    const proxy = proxyOf('sidecar~127.0.10.1~productpage-v1.default~default.svc.cluster.local', {
      NAMESPACE: 'default',
      LABELS: { app: 'productpage', version: 'v1' },
      INTERCEPTION_MODE: 'NONE',
      HTTP_PROXY_PORT: '15080',
      SKEIN_APP_PORTS: '9080:39080',
    });
    goldenFor('productpage-http-proxy', snapshot, proxy);
  });

  test('ingress gateway with bookinfo-gateway', () => {
    const snapshot = snapshotOf(bookinfoServices(true), bookinfoWorkloads('10.1.0.'), loadBookinfoConfig(files));
    const proxy = proxyOf('router~10.1.0.100~istio-ingressgateway-7d4d9f8b9-xyz12.istio-system~istio-system.svc.cluster.local', {
      NAMESPACE: 'istio-system',
      LABELS: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
    });
    goldenFor('ingressgateway', snapshot, proxy);
  });
});
