/**
 * ControlPlane as a generator: snapshots rebuilt only where a change touched them (and equal to
 * a full rebuild), endpoint pushes narrowed to the changed services, and config pushes that skip
 * the types the changed kinds cannot affect.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryConfigStore } from '../config/store/memory-store.js';
import type { ConfigResource, Service, Workload } from '../model/index.js';
import { EMPTY_LOCALITY } from '../model/index.js';
import { MemoryRegistry } from '../registry/memory-registry.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from '../translate/xds-resource.js';
import { ControlPlane } from './control-plane.js';
import type { ConnectedProxy, WatchedNames, XdsResource } from './generator.js';
import type { PushRequest } from './push-request.js';

function service(name: string): Service {
  return {
    hostname: `${name}.default.svc.cluster.local`,
    name,
    namespace: 'default',
    ports: [{ name: 'http', port: 9080, protocol: 'HTTP' }],
    addresses: [],
    labels: { app: name },
    selector: { app: name },
    exportTo: [],
    resolution: 'STATIC',
    location: 'MESH_INTERNAL',
    registry: 'Kubernetes',
  };
}

function pod(name: string, app: string, version: string, address: string): Workload {
  return { name, namespace: 'default', address, ports: {}, labels: { app, version }, serviceAccount: '', locality: EMPTY_LOCALITY, health: 'HEALTHY', weight: 1, network: '' };
}

function resource(kind: string, name: string, spec: object, revision: string): ConfigResource {
  return { group: 'networking.istio.io', kind, version: 'v1', name, namespace: 'default', labels: {}, annotations: {}, spec, revision };
}

const dr = (lb: string, revision: string) =>
  resource('DestinationRule', 'reviews', { host: 'reviews', trafficPolicy: { loadBalancer: { simple: lb } }, subsets: [{ name: 'v1', labels: { version: 'v1' } }] }, revision);
const vs = (subset: string, revision: string) =>
  resource('VirtualService', 'reviews', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset } }] }] }, revision);

const connected: ConnectedProxy = {
  connectionId: 'productpage-1',
  node: {
    id: 'sidecar~10.1.0.1~productpage-v1.default~default.svc.cluster.local',
    cluster: 'productpage.default',
    metadata: { NAMESPACE: 'default', LABELS: { app: 'productpage', version: 'v1' } },
    locality: undefined,
    userAgentName: 'envoy',
    userAgentVersion: '1.33.0',
    clientFeatures: [],
  },
  peer: 'ipv4:127.0.0.1:1',
  protocol: 'delta',
  connectedAt: new Date(),
};
const WILDCARD: WatchedNames = { wildcard: true, names: new Set() };
const FULL: PushRequest = { full: true, reason: ['proxyrequest'] };
const names = (out: readonly XdsResource[] | 'unchanged') => (out === 'unchanged' ? out : out.map((r) => r.name));

describe('ControlPlane', () => {
  const store = new MemoryConfigStore();
  const registry = new MemoryRegistry('Kubernetes');
  registry.batch(() => {
    for (const name of ['productpage', 'reviews', 'ratings']) registry.addService(service(name));
    registry.addWorkload(pod('productpage-v1', 'productpage', 'v1', '10.1.0.1'));
    registry.addWorkload(pod('reviews-v1', 'reviews', 'v1', '10.1.0.2'));
    registry.addWorkload(pod('ratings-v1', 'ratings', 'v1', '10.1.0.3'));
  });
  store.apply([dr('ROUND_ROBIN', '1'), vs('v1', '1')]);
  const control = new ControlPlane({ store, registries: [registry], xds: { debounceAfterMs: 60_000, debounceMaxMs: 60_000 } });
  after(() => control.stop());

  it('rebuilds only the endpoints of the services that changed, as a full rebuild would', () => {
    const before = control.snapshot;
    registry.addWorkload(pod('reviews-v1-b', 'reviews', 'v1', '10.1.0.4'));
    const after = control.snapshot;
    assert.notEqual(after.version, before.version);
    assert.equal(after.configs, before.configs);
    assert.equal(after.services, before.services);
    assert.equal(after.endpoints.get('ratings.default.svc.cluster.local'), before.endpoints.get('ratings.default.svc.cluster.local'));
    assert.deepEqual(after.endpoints.get('reviews.default.svc.cluster.local')?.map((e) => e.address), ['10.1.0.2', '10.1.0.4']);
    // What a from-scratch snapshot holds (a service change forces one).
    registry.addService({ ...service('details') });
    const rebuilt = control.snapshot;
    assert.deepEqual([...rebuilt.endpoints].filter(([h]) => !h.startsWith('details')), [...after.endpoints]);
    assert.deepEqual(rebuilt.configs, after.configs);
  });

  it('rebuilds only the config on a config change', () => {
    const before = control.snapshot;
    store.apply([vs('v1', '2')]);
    assert.equal(control.snapshot.services, before.services);
    assert.equal(control.snapshot.endpoints, before.endpoints);
    assert.notEqual(control.snapshot.configs, before.configs);
  });

  it('an endpoints push generates only the subscribed assignments of the changed services', () => {
    const subscribed: WatchedNames = {
      wildcard: false,
      names: new Set(['outbound|9080||reviews.default.svc.cluster.local', 'outbound|9080|v1|reviews.default.svc.cluster.local', 'outbound|9080||ratings.default.svc.cluster.local']),
    };
    const push = (hosts: string[]): PushRequest => ({ full: false, reason: ['endpoint'], edsUpdates: new Set(hosts) });
    assert.deepEqual(names(control.generate(connected, ENDPOINT_TYPE_URL, push(['reviews.default.svc.cluster.local']), subscribed)), [
      'outbound|9080||reviews.default.svc.cluster.local',
      'outbound|9080|v1|reviews.default.svc.cluster.local',
    ]);
    assert.equal(control.generate(connected, ENDPOINT_TYPE_URL, push(['details.default.svc.cluster.local']), subscribed), 'unchanged');
  });

  it('a config push regenerates only the types the changed kinds can affect', () => {
    const vsPush: PushRequest = { full: true, reason: ['config'], configsUpdated: new Set(['virtualServices']) };
    assert.equal(control.generate(connected, CLUSTER_TYPE_URL, vsPush, WILDCARD), 'unchanged');
    assert.equal(control.generate(connected, ENDPOINT_TYPE_URL, vsPush, { wildcard: false, names: new Set(['outbound|9080||reviews.default.svc.cluster.local']) }), 'unchanged');
    assert.ok(names(control.generate(connected, LISTENER_TYPE_URL, vsPush, WILDCARD)).includes('0.0.0.0_9080'));
    assert.deepEqual(names(control.generate(connected, ROUTE_TYPE_URL, vsPush, { wildcard: false, names: new Set(['9080']) })), ['9080']);

    const drPush: PushRequest = { full: true, reason: ['config'], configsUpdated: new Set(['destinationRules']) };
    assert.equal(control.generate(connected, LISTENER_TYPE_URL, drPush, WILDCARD), 'unchanged');
    assert.ok(names(control.generate(connected, CLUSTER_TYPE_URL, drPush, WILDCARD)).includes('outbound|9080|v1|reviews.default.svc.cluster.local'));
    // A kind translation does not know (here a ServiceEntry) may change anything.
    const sePush: PushRequest = { full: true, reason: ['config'], configsUpdated: new Set(['serviceEntries']) };
    assert.notEqual(control.generate(connected, CLUSTER_TYPE_URL, sePush, WILDCARD), 'unchanged');
    assert.notEqual(control.generate(connected, CLUSTER_TYPE_URL, FULL, WILDCARD), 'unchanged');
  });

  it('proxies with other labels and IPs in one namespace hit the encoder by identity for their shared resources', () => {
    const ratings: ConnectedProxy = {
      ...connected,
      connectionId: 'ratings-1',
      node: { ...connected.node, id: 'sidecar~10.1.0.3~ratings-v1.default~default.svc.cluster.local', metadata: { NAMESPACE: 'default', LABELS: { app: 'ratings', version: 'v1' } } },
    };
    const encoder = control.xds.encoder;
    const encodeAll = (proxy: ConnectedProxy) => {
      const out = control.generate(proxy, CLUSTER_TYPE_URL, FULL, WILDCARD) as XdsResource[];
      for (const r of out) assert.ok(encoder.encode(CLUSTER_TYPE_URL, r).ok);
      return out;
    };
    const first = encodeAll(connected);
    const before = { identity: encoder.identityHits, content: encoder.contentHits, encodings: encoder.encodings };
    const second = encodeAll(ratings);
    const shared = second.filter((r) => !r.name.startsWith('inbound|'));
    assert.ok(shared.length >= 5);
    assert.equal(encoder.identityHits - before.identity, shared.length, 'every outbound cluster by identity');
    // Only the inbound cluster is ratings' own (same content as productpage's here, so a content hit).
    assert.equal(encoder.contentHits - before.content + (encoder.encodings - before.encodings), second.length - shared.length);
    assert.equal(first.length, second.length);
  });

  it('the store change names the kinds in the push it asks for', () => {
    const requests: PushRequest[] = [];
    const pushAll = control.xds.pushAll.bind(control.xds);
    control.xds.pushAll = (request) => {
      requests.push(request);
      pushAll(request);
    };
    store.apply([dr('RANDOM', '2')]);
    control.xds.pushAll = pushAll;
    assert.deepEqual(requests.map((r) => [r.full, [...(r.configsUpdated ?? [])]]), [[true, ['destinationRules']]]);
    const cluster = (control.generate(connected, CLUSTER_TYPE_URL, requests[0]!, WILDCARD) as XdsResource[]).find((c) => c.name === 'outbound|9080||reviews.default.svc.cluster.local');
    assert.equal((cluster?.resource as { lb_policy?: string }).lb_policy, 'RANDOM');
  });
});
