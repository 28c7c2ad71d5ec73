/**
 * Incremental (delta) ADS over real gRPC on loopback: per-resource versions, changed-only
 * pushes, removed_resources, initial_resource_versions on reconnect, subscriptions to names
 * that do not exist, and NACKs.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { XdsServer } from '../../src/control/xds-server.js';
import { decodeAny, DeltaClient } from './ads-client.js';
import type { DeltaResponse } from './ads-client.js';
import { startXdsServer, waitFor } from './harness.js';
import { bookinfoGenerator, CDS, cluster, EDS, endpoints, LDS, RDS, V1, V2 } from './test-generator.js';

const NODE = 'sidecar~10.0.0.9~productpage-v1-abc.default~default.svc.cluster.local';
const V3 = 'outbound|9080|v3|reviews.default.svc.cluster.local';
const opened: { close(): void }[] = [];
const servers: XdsServer[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});
after(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function setup() {
  const generator = bookinfoGenerator();
  const started = await startXdsServer(generator);
  servers.push(started.server);
  const client = new DeltaClient(started.port, NODE);
  opened.push(client);
  return { ...started, generator, client };
}

const names = (response: DeltaResponse) => response.resources.map((r) => r.name).sort();
const versions = (response: DeltaResponse) => Object.fromEntries(response.resources.map((r) => [r.name, r.version]));

async function subscribeAll(client: DeltaClient) {
  client.send({ type_url: CDS });
  const cds = await client.next(CDS);
  client.ack(cds);
  client.send({ type_url: EDS, resource_names_subscribe: [V1, V2] });
  const eds = await client.next(EDS);
  client.ack(eds);
  return { cds, eds };
}

describe('delta ADS', () => {
  it('answers a first wildcard request with every resource and a content version each', async () => {
    const { client } = await setup();
    const { cds, eds } = await subscribeAll(client);
    assert.deepEqual(names(cds), [V1, V2]);
    for (const r of cds.resources) {
      assert.match(r.version, /^[0-9a-f]{16}$/);
      assert.equal(decodeAny(r.resource!)['name'], r.name);
    }
    assert.notEqual(versions(cds)[V1], versions(cds)[V2]);
    assert.deepEqual(names(eds), [V1, V2]);
    assert.deepEqual(cds.removed_resources, []);
    assert.notEqual(cds.system_version_info, '');
  });

  it('pushes only what changed (plus EDS for a changed cluster, which Envoy re-warms)', async () => {
    const { client, server, generator } = await setup();
    const { cds } = await subscribeAll(client);
    generator.set(CDS, V2, cluster(V2, '4s'));
    server.pushAll({ full: true, reason: ['config'] });
    const changed = await client.next(CDS);
    assert.deepEqual(names(changed), [V2]);
    assert.notEqual(versions(changed)[V2], versions(cds)[V2]);
    const eds = await client.next(EDS);
    assert.deepEqual(names(eds), [V2], 'unchanged endpoints, resent because their cluster changed');
    await client.none(200);

    generator.set(EDS, V1, endpoints(V1, '10.0.0.1', '10.0.0.5'));
    server.pushAll({ full: false, reason: ['endpoint'], edsUpdates: new Set([V1]) });
    const endpointOnly = await client.next(EDS);
    assert.deepEqual(names(endpointOnly), [V1]);
    assert.deepEqual(endpointOnly.removed_resources, []);
    await client.none(200);
  });

  it('lists deleted resources in removed_resources', async () => {
    const { client, server, generator } = await setup();
    await subscribeAll(client);
    generator.remove(CDS, V2).remove(EDS, V2);
    server.pushAll({ full: true, reason: ['config'] });
    const cds = await client.next(CDS);
    assert.deepEqual(cds.resources, []);
    assert.deepEqual(cds.removed_resources, [V2]);
    const eds = await client.next(EDS);
    assert.deepEqual(eds.removed_resources, [V2]);
  });

  it('answers a subscription to a name that does not exist with removed_resources', async () => {
    const { client } = await setup();
    client.send({ type_url: EDS, resource_names_subscribe: [V1, V3] });
    const eds = await client.next(EDS);
    assert.deepEqual(names(eds), [V1]);
    assert.deepEqual(eds.removed_resources, [V3]);
    client.ack(eds);
    // Re-subscribing to a name the client already has: it is sent again (the client may have forgotten it).
    client.send({ type_url: EDS, resource_names_subscribe: [V1] });
    assert.deepEqual(names(await client.next(EDS)), [V1]);
    // Unsubscribing needs no answer.
    client.send({ type_url: EDS, resource_names_unsubscribe: [V1] });
    await client.none(200);
  });

  it('on reconnect sends only what differs from initial_resource_versions', async () => {
    const { client, server, port, generator } = await setup();
    const { cds } = await subscribeAll(client);
    client.close();
    await waitFor(() => server.syncStatus().length === 0, 'the first stream to be forgotten');

    generator.set(CDS, V1, cluster(V1, '9s'));
    const again = new DeltaClient(port, NODE);
    opened.push(again);
    again.send({
      type_url: CDS,
      initial_resource_versions: { ...versions(cds), 'outbound|9080||gone.default.svc.cluster.local': 'abc' },
    });
    const response = await again.next(CDS);
    assert.deepEqual(names(response), [V1], 'V2 is unchanged and not resent');
    assert.deepEqual(response.removed_resources, ['outbound|9080||gone.default.svc.cluster.local']);
  });

  it('records a NACK for the last nonce and keeps the rejected resource from coming back', async () => {
    const { client, server, generator } = await setup();
    await subscribeAll(client);
    generator.set(CDS, V1, cluster(V1, '7s'));
    server.pushAll({ full: true, reason: ['config'] });
    const cds = await client.next(CDS);
    await client.next(EDS);
    client.send({
      type_url: CDS,
      response_nonce: cds.nonce,
      error_detail: { code: grpc.status.INVALID_ARGUMENT, message: 'bad cluster' },
    });
    await waitFor(() => server.syncStatus()[0]?.types['cds']?.status === 'NACKED', 'NACKED');
    assert.equal(server.syncStatus()[0]!.types['cds']!.error, 'bad cluster');
    assert.equal(server.metrics.rejects.get({ type: 'cds' }), 1);
    server.pushAll({ full: true, reason: ['config'] });
    await client.none(300, CDS);
  });

  it('serves LDS and RDS on the same stream', async () => {
    const { client } = await setup();
    client.send({ type_url: LDS });
    const lds = await client.next(LDS);
    assert.deepEqual(names(lds), ['0.0.0.0_9080']);
    client.send({ type_url: RDS, resource_names_subscribe: ['9080'] });
    assert.deepEqual(names(await client.next(RDS)), ['9080']);
  });
});
