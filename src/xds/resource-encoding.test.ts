import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMessage, lookupMessage } from './protos.js';
import { encodeResource, ResourceEncoder, versionOfSet } from './resource-encoding.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL } from './type-urls.js';

const cluster = (timeout: string) => ({
  name: 'outbound|9080||reviews.default.svc.cluster.local',
  type: 'EDS',
  connect_timeout: timeout,
  eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
  metadata: { filter_metadata: { istio: { services: [{ host: 'reviews.default.svc.cluster.local', name: 'reviews' }] } } },
});
const named = (resource: { name: string } & Record<string, unknown>) => ({ name: resource.name, resource });

describe('resource encoding', () => {
  it('packs a proto3 JSON resource into an Any that decodes to the same message', () => {
    const result = encodeResource(CLUSTER_TYPE_URL, named(cluster('1.5s')));
    assert.ok(result.ok);
    assert.equal(result.encoded.any.type_url, CLUSTER_TYPE_URL);
    const decoded = decodeMessage<{ name: string; connect_timeout: { seconds: number; nanos: number }; metadata: { filter_metadata: { istio: { fields: { services: { listValue: { values: unknown[] } } } } } } }>(
      lookupMessage(CLUSTER_TYPE_URL)!,
      result.encoded.any.value,
    );
    assert.equal(decoded.name, 'outbound|9080||reviews.default.svc.cluster.local');
    assert.deepEqual(decoded.connect_timeout, { seconds: 1, nanos: 500_000_000 });
    assert.equal(decoded.metadata.filter_metadata.istio.fields.services.listValue.values.length, 1);
  });

  it('rejects a resource with an unknown field, naming its path', () => {
    const result = encodeResource(CLUSTER_TYPE_URL, named({ ...cluster('1s'), lb_polcy: 'RING_HASH' }));
    assert.ok(!result.ok);
    assert.match(result.error, /^resource 'outbound\|9080\|\|reviews\.default\.svc\.cluster\.local': lb_polcy: unknown field 'lb_polcy'.*did you mean 'lb_policy'/);
  });

  it('rejects a resource whose name field disagrees with its XdsResource name', () => {
    const result = encodeResource(ENDPOINT_TYPE_URL, { name: 'a', resource: { cluster_name: 'b' } });
    assert.ok(!result.ok);
    assert.match(result.error, /cluster_name "b"/);
    assert.ok(encodeResource(ENDPOINT_TYPE_URL, { name: 'a', resource: { clusterName: 'a' } }).ok, 'JSON names work too');
  });

  it('encodes a shared object once and equal content once', () => {
    const encoder = new ResourceEncoder();
    const shared = named(cluster('1s'));
    for (let i = 0; i < 1000; i++) assert.ok(encoder.encode(CLUSTER_TYPE_URL, shared).ok);
    assert.equal(encoder.encodings, 1);
    assert.equal(encoder.identityHits, 999);
    const copy = encoder.encode(CLUSTER_TYPE_URL, named(cluster('1s')));
    assert.equal(encoder.encodings, 1, 'a rebuilt object with the same content hits the content cache');
    assert.equal(encoder.contentHits, 1);
    const changed = encoder.encode(CLUSTER_TYPE_URL, named(cluster('2s')));
    assert.equal(encoder.encodings, 2);
    assert.ok(copy.ok && changed.ok);
    assert.notEqual(copy.encoded.version, changed.encoded.version);
  });

  it('evicts least recently used encodings beyond its byte budget', () => {
    const encoder = new ResourceEncoder({ maxCachedBytes: 1 });
    encoder.encode(CLUSTER_TYPE_URL, named(cluster('1s')));
    encoder.encode(CLUSTER_TYPE_URL, named(cluster('2s')));
    encoder.encode(CLUSTER_TYPE_URL, named(cluster('1s')));
    assert.equal(encoder.encodings, 3, 'nothing stays cached with a 1-byte budget');
  });

  it('versions a set independently of order', () => {
    const a = encodeResource(CLUSTER_TYPE_URL, named(cluster('1s')));
    const b = encodeResource(CLUSTER_TYPE_URL, named({ ...cluster('1s'), name: 'other' }));
    assert.ok(a.ok && b.ok);
    assert.equal(versionOfSet([a.encoded, b.encoded]), versionOfSet([b.encoded, a.encoded]));
    assert.notEqual(versionOfSet([a.encoded]), versionOfSet([a.encoded, b.encoded]));
  });
});
