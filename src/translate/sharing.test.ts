/**
 * Sharing between proxies: outbound resources depend only on what a SidecarScope is keyed by,
 * so proxies that differ only in labels and IPs get the very same objects, and anything that
 * matches their labels (sourceLabels, workload selectors) still tells them apart.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ConfigResource, Proxy } from '../model/index.js';
import { bookinfoServices, bookinfoWorkloads, config, find, proxyOf, snapshotOf, workload } from './fixtures.test.util.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, generate, LISTENER_TYPE_URL, ROUTE_TYPE_URL, type XdsResource } from './index.js';

type J = Record<string, unknown>;
const sidecar = (ip: string, pod: string, labels: Record<string, string>): Proxy =>
  proxyOf(`sidecar~${ip}~${pod}.default~default.svc.cluster.local`, { NAMESPACE: 'default', LABELS: labels, INSTANCE_IPS: ip });
const PRODUCTPAGE = sidecar('10.1.0.1', 'productpage-v1', { app: 'productpage', version: 'v1' });
const RATINGS = sidecar('10.1.0.6', 'ratings-v1', { app: 'ratings', version: 'v1' });
const REVIEWS_DR = config('DestinationRule', 'reviews', {
  host: 'reviews',
  subsets: ['v1', 'v2', 'v3'].map((v) => ({ name: v, labels: { version: v } })),
});

function snapshotWith(configs: ConfigResource[] = []) {
  return snapshotOf(bookinfoServices(), bookinfoWorkloads('10.1.0.'), [REVIEWS_DR, ...configs]);
}

function byName(resources: readonly XdsResource[]): Map<string, object> {
  return new Map(resources.map((r) => [r.name, r.resource]));
}

function reviewsRoutes(routes: readonly XdsResource[]): J[] {
  const vh = (find(routes, '9080').virtual_hosts as J[]).find((v) => v.name === 'reviews.default.svc.cluster.local:9080');
  assert.ok(vh);
  return vh.routes as J[];
}

describe('translation shared between proxies', () => {
  test('two proxies in one namespace with different labels and IPs get the same outbound objects', () => {
    const snapshot = snapshotWith();
    const a = byName(generate(snapshot, PRODUCTPAGE, CLUSTER_TYPE_URL));
    const b = byName(generate(snapshot, RATINGS, CLUSTER_TYPE_URL));
    for (const name of ['outbound|9080||reviews.default.svc.cluster.local', 'outbound|9080|v2|reviews.default.svc.cluster.local', 'BlackHoleCluster', 'PassthroughCluster']) {
      assert.ok(a.get(name), name);
      assert.equal(a.get(name), b.get(name), `${name} is one object`);
    }
    // Inbound clusters are each workload's own.
    assert.ok(a.has('inbound|9080||') && b.has('inbound|9080||'));
    assert.notEqual(a.get('inbound|9080||'), b.get('inbound|9080||'));

    const routesA = generate(snapshot, PRODUCTPAGE, ROUTE_TYPE_URL, ['9080']);
    const routesB = generate(snapshot, RATINGS, ROUTE_TYPE_URL, ['9080']);
    assert.equal(routesA[0]?.resource, routesB[0]?.resource);

    const eds = ['outbound|9080|v1|reviews.default.svc.cluster.local'];
    assert.equal(generate(snapshot, PRODUCTPAGE, ENDPOINT_TYPE_URL, eds)[0]?.resource, generate(snapshot, RATINGS, ENDPOINT_TYPE_URL, eds)[0]?.resource);

    const listenersA = byName(generate(snapshot, PRODUCTPAGE, LISTENER_TYPE_URL));
    const listenersB = byName(generate(snapshot, RATINGS, LISTENER_TYPE_URL));
    assert.equal(listenersA.get('virtualOutbound'), listenersB.get('virtualOutbound'));
    assert.equal(listenersA.get('0.0.0.0_9080'), listenersB.get('0.0.0.0_9080'));
  });

  test('replicas of one workload share their inbound resources too', () => {
    const snapshot = snapshotWith();
    const reviewsV1 = sidecar('10.1.0.3', 'reviews-v1', { app: 'reviews', version: 'v1' });
    const reviewsV2 = sidecar('10.1.0.4', 'reviews-v2', { app: 'reviews', version: 'v2' });
    const a = byName(generate(snapshot, reviewsV1, LISTENER_TYPE_URL));
    const b = byName(generate(snapshot, reviewsV2, LISTENER_TYPE_URL));
    assert.equal(a.get('virtualInbound'), b.get('virtualInbound'));
    assert.equal(byName(generate(snapshot, reviewsV1, CLUSTER_TYPE_URL)).get('inbound|9080||'), byName(generate(snapshot, reviewsV2, CLUSTER_TYPE_URL)).get('inbound|9080||'));
  });

  test('a VirtualService with sourceLabels still gives them different routes', () => {
    const vs = config('VirtualService', 'reviews', {
      hosts: ['reviews'],
      http: [
        { match: [{ sourceLabels: { app: 'productpage' } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] },
        { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
      ],
    });
    const snapshot = snapshotWith([vs]);
    const fromProductpage = reviewsRoutes(generate(snapshot, PRODUCTPAGE, ROUTE_TYPE_URL, ['9080']));
    const fromRatings = reviewsRoutes(generate(snapshot, RATINGS, ROUTE_TYPE_URL, ['9080']));
    assert.equal((fromProductpage[0]?.route as J).cluster, 'outbound|9080|v2|reviews.default.svc.cluster.local');
    assert.equal((fromRatings[0]?.route as J).cluster, 'outbound|9080|v1|reviews.default.svc.cluster.local');
    // A second productpage replica (another IP) matches the same selector: it shares the first one's config.
    const replica = sidecar('10.1.0.9', 'productpage-v1-b', { app: 'productpage', version: 'v1' });
    assert.equal(generate(snapshot, replica, ROUTE_TYPE_URL, ['9080'])[0]?.resource, generate(snapshot, PRODUCTPAGE, ROUTE_TYPE_URL, ['9080'])[0]?.resource);
    // Clusters do not depend on source labels, but the key does: same content, possibly not the same object.
    assert.deepEqual(generate(snapshot, PRODUCTPAGE, CLUSTER_TYPE_URL).find((c) => c.name === 'BlackHoleCluster'), generate(snapshot, RATINGS, CLUSTER_TYPE_URL).find((c) => c.name === 'BlackHoleCluster'));
  });

  test('a DestinationRule workloadSelector applies only to the proxies it selects', () => {
    const selective = config(
      'DestinationRule',
      'reviews-for-productpage',
      { host: 'reviews', workloadSelector: { labels: { app: 'productpage' } }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } },
      { creationTimestamp: '2020-01-01T00:00:00Z' },
    );
    const snapshot = snapshotWith([selective]);
    const name = 'outbound|9080||reviews.default.svc.cluster.local';
    assert.equal((byName(generate(snapshot, PRODUCTPAGE, CLUSTER_TYPE_URL)).get(name) as J).lb_policy, 'RANDOM');
    assert.equal((byName(generate(snapshot, RATINGS, CLUSTER_TYPE_URL)).get(name) as J).lb_policy, 'LEAST_REQUEST');
  });

  test('a Sidecar workloadSelector gives the selected proxy its own visibility', () => {
    const narrow = config('Sidecar', 'productpage', { workloadSelector: { labels: { app: 'productpage' } }, egress: [{ hosts: ['./details.default.svc.cluster.local'] }] });
    const snapshot = snapshotWith([narrow]);
    const outbound = (p: Proxy) => generate(snapshot, p, CLUSTER_TYPE_URL).map((c) => c.name).filter((n) => n.startsWith('outbound|'));
    assert.deepEqual(outbound(PRODUCTPAGE), ['outbound|9080||details.default.svc.cluster.local']);
    assert.ok(outbound(RATINGS).includes('outbound|9080||reviews.default.svc.cluster.local'));
  });

  test('proxies in other namespaces get their own short names', () => {
    const snapshot = snapshotWith();
    const elsewhere = proxyOf('sidecar~10.2.0.1~client.other~other.svc.cluster.local', { NAMESPACE: 'other', LABELS: { app: 'client' } });
    const reviewsHost = (p: Proxy) =>
      (find(generate(snapshot, p, ROUTE_TYPE_URL, ['9080']), '9080').virtual_hosts as J[]).find((v) => v.name === 'reviews.default.svc.cluster.local:9080');
    // The short name `reviews` only resolves from the service's own namespace.
    assert.ok((reviewsHost(PRODUCTPAGE)?.domains as string[]).includes('reviews'));
    assert.ok(!(reviewsHost(elsewhere)?.domains as string[]).includes('reviews'));
  });

  test('proxies in other localities get their own failover priorities', () => {
    const zone = (z: string) => ({ region: 'r1', zone: z, subzone: '' });
    const workloads = [
      workload('ratings-a', 'default', '10.1.0.6', { app: 'ratings' }, { locality: zone('a') }),
      workload('ratings-b', 'default', '10.1.0.7', { app: 'ratings' }, { locality: zone('b') }),
    ];
    const outlier = config('DestinationRule', 'ratings', { host: 'ratings', trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5 } } });
    const snapshot = snapshotOf(bookinfoServices(), workloads, [outlier]);
    const inA = { ...PRODUCTPAGE, locality: zone('a') };
    const inB = { ...RATINGS, locality: zone('b') };
    const name = ['outbound|9080||ratings.default.svc.cluster.local'];
    const priorities = (p: Proxy) =>
      ((generate(snapshot, p, ENDPOINT_TYPE_URL, name)[0]?.resource.endpoints ?? []) as J[]).map((e) => [(e.locality as J).zone, e.priority ?? 0]);
    assert.deepEqual(priorities(inA), [['a', 0], ['b', 1]]);
    assert.deepEqual(priorities(inB), [['a', 1], ['b', 0]]);
    // Same locality, other labels: shared.
    const alsoInA = { ...RATINGS, locality: zone('a') };
    assert.equal(generate(snapshot, alsoInA, ENDPOINT_TYPE_URL, name)[0]?.resource, generate(snapshot, inA, ENDPOINT_TYPE_URL, name)[0]?.resource);
  });
});
