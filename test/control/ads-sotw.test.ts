/**
 * State-of-the-world ADS over real gRPC on loopback, driven by a hand-written client the way
 * Envoy drives it: wildcard LDS/CDS, RDS/EDS by name, ACK, NACK, stale nonces, pushes in
 * Istio's order, endpoint-only pushes, debounce, and the protocol errors a server must survive.
 */
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { XdsServer } from '../../src/control/xds-server.js';
import { decodeAny, namesOf, SotwClient } from './ads-client.js';
import type { SotwResponse } from './ads-client.js';
import { startXdsServer, waitFor } from './harness.js';
import { bookinfoGenerator, CDS, cluster, EDS, endpoints, LDS, listener, RDS, route, V1, V2 } from './test-generator.js';
import type { TestGenerator } from './test-generator.js';

const opened: { close(): void }[] = [];
const servers: XdsServer[] = [];
afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});
after(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function setup(generator: TestGenerator = bookinfoGenerator(), options = {}) {
  const started = await startXdsServer(generator, options);
  servers.push(started.server);
  const client = new SotwClient(started.port, 'sidecar~10.0.0.9~productpage-v1-abc.default~default.svc.cluster.local');
  opened.push(client);
  return { ...started, generator, client };
}

/** Subscribes the way Envoy starts: CDS and LDS wildcard, then EDS and RDS by name, ACKing each. */
async function converge(client: SotwClient): Promise<Record<string, SotwResponse>> {
  client.send({ type_url: CDS });
  const cds = await client.next(CDS);
  client.ack(cds);
  client.send({ type_url: EDS, resource_names: [V1, V2] });
  const eds = await client.next(EDS);
  client.ack(eds, [V1, V2]);
  client.send({ type_url: LDS });
  const lds = await client.next(LDS);
  client.ack(lds);
  client.send({ type_url: RDS, resource_names: ['9080'] });
  const rds = await client.next(RDS);
  client.ack(rds, ['9080']);
  return { cds, eds, lds, rds };
}

function typeStatus(server: XdsServer, type: string) {
  return server.syncStatus()[0]?.types[type];
}

describe('SotW ADS', () => {
  it('answers wildcard CDS and LDS with every resource, packed as Any', async () => {
    const { client } = await setup();
    client.send({ type_url: CDS });
    const cds = await client.next(CDS);
    assert.deepEqual(namesOf(cds).sort(), [V1, V2]);
    assert.equal(cds.resources[0]!.type_url, CDS);
    const decoded = decodeAny(cds.resources[0]!);
    assert.equal(decoded['type'], 'EDS');
    assert.equal((decoded['connect_timeout'] as { seconds: number }).seconds, 1);
    assert.notEqual(cds.version_info, '');
    assert.notEqual(cds.nonce, '');

    client.send({ type_url: LDS });
    const lds = await client.next(LDS);
    assert.deepEqual(namesOf(lds), ['0.0.0.0_9080']);
  });

  it('sends only the requested RDS and EDS names', async () => {
    const { client } = await setup();
    client.send({ type_url: EDS, resource_names: [V2] });
    const eds = await client.next(EDS);
    assert.deepEqual(namesOf(eds), [V2]);
    const cla = decodeAny(eds.resources[0]!) as { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: { address: string } } } }[] }[] };
    assert.equal(cla.endpoints[0]!.lb_endpoints[0]!.endpoint.address.socket_address.address, '10.0.0.2');

    client.send({ type_url: RDS, resource_names: ['no-such-route'] });
    const rds = await client.next(RDS);
    assert.deepEqual(rds.resources, [], 'an unknown route name gets an empty response, never another route');
  });

  it('is STALE until the ACK, then SYNCED; an ACK gets no response', async () => {
    const { client, server } = await setup();
    client.send({ type_url: CDS });
    const cds = await client.next(CDS);
    assert.equal(typeStatus(server, 'cds')?.status, 'STALE');
    client.ack(cds);
    await client.none();
    assert.equal(typeStatus(server, 'cds')?.status, 'SYNCED');
    assert.equal(typeStatus(server, 'cds')?.version_acked, cds.version_info);
    assert.equal(typeStatus(server, 'lds'), undefined, 'LDS never requested');
  });

  it('answers an ACK that adds EDS names with the whole subscribed set', async () => {
    const { client } = await setup();
    client.send({ type_url: EDS, resource_names: [V1] });
    const first = await client.next(EDS);
    client.ack(first, [V1]);
    await client.none(100);
    client.ack(first, [V1, V2]); // Envoy re-requests at the same nonce when CDS adds a cluster
    const second = await client.next(EDS);
    assert.deepEqual(namesOf(second).sort(), [V1, V2]);
    client.ack(second, [V1]); // dropping a name needs no answer
    await client.none();
  });

  it('records a NACK with its error, counts it, and does not resend the rejected version', async () => {
    const { client, server, generator } = await setup();
    const { cds } = await converge(client);
    generator.set(CDS, V1, cluster(V1, '5s'));
    server.pushAll({ full: true, reason: ['config'] });
    const pushed = await client.next(CDS);
    client.nack(pushed, cds!.version_info, 'cluster outbound|9080|v1: connect_timeout too long');
    await waitFor(() => typeStatus(server, 'cds')?.status === 'NACKED', 'NACKED status');
    assert.equal(typeStatus(server, 'cds')?.error, 'cluster outbound|9080|v1: connect_timeout too long');
    assert.equal(server.metrics.rejects.get({ type: 'cds' }), 1);

    // Another push with the same (rejected) content: nothing is sent again.
    server.pushAll({ full: true, reason: ['config'] });
    await client.none(300, CDS);
    assert.equal(typeStatus(server, 'cds')?.status, 'NACKED');

    // A fixed config is a new version: sent, ACKed, SYNCED, and the error is cleared.
    generator.set(CDS, V1, cluster(V1, '2s'));
    server.pushAll({ full: true, reason: ['config'] });
    const fixed = await client.next(CDS);
    assert.notEqual(fixed.version_info, pushed.version_info);
    client.ack(fixed);
    await waitFor(() => typeStatus(server, 'cds')?.status === 'SYNCED', 'SYNCED after the fix');
    assert.equal(typeStatus(server, 'cds')?.error, undefined);
  });

  it('ignores a request carrying a stale nonce', async () => {
    const { client, server, generator } = await setup();
    client.send({ type_url: EDS, resource_names: [V1] });
    const first = await client.next(EDS);
    generator.set(EDS, V1, endpoints(V1, '10.0.0.7'));
    server.pushAll({ full: false, reason: ['endpoint'] });
    const second = await client.next(EDS);
    // The proxy answers the first response after the second was sent: its nonce is stale, so
    // the new name it asks for is not answered (the answer to the latest nonce will be).
    client.ack(first, [V1, V2]);
    await client.none(250, EDS);
    assert.equal(server.metrics.expiredNonce.get({ type: 'eds' }), 1);
    assert.equal(typeStatus(server, 'eds')?.status, 'STALE');
    client.ack(second, [V1, V2]);
    const third = await client.next(EDS);
    assert.deepEqual(namesOf(third).sort(), [V1, V2]);
  });

  it('pushes a full change in Istio order: CDS, EDS, LDS, RDS', async () => {
    const { client, server, generator } = await setup();
    await converge(client);
    generator
      .set(CDS, V1, cluster(V1, '3s'))
      .set(EDS, V2, endpoints(V2, '10.0.0.3'))
      .set(LDS, '0.0.0.0_9080', listener('0.0.0.0_9080', 9081, '9080'))
      .set(RDS, '9080', route('9080', V2));
    const before = client.responses.all.length;
    server.pushAll({ full: true, reason: ['config'] });
    await waitFor(() => client.responses.all.length - before === 4, 'four responses');
    const order = client.responses.all.slice(before).map((r) => r.type_url);
    assert.deepEqual(order, [CDS, EDS, LDS, RDS]);
    const eds = client.responses.all.slice(before)[1]!;
    // V1 changed in CDS, so its endpoints are sent again for cluster warming, with V2's new ones.
    assert.deepEqual(namesOf(eds).sort(), [V1, V2]);
  });

  it('on an endpoint change pushes only EDS, and only the affected clusters', async () => {
    const { client, server, generator } = await setup();
    await converge(client);
    const before = client.responses.all.length;
    generator.set(EDS, V2, endpoints(V2, '10.0.0.2', '10.0.0.4'));
    server.pushAll({ full: false, reason: ['endpoint'], edsUpdates: new Set([V2]) });
    const eds = await client.next(EDS);
    assert.deepEqual(namesOf(eds), [V2]);
    await client.none(200);
    assert.deepEqual(
      client.responses.all.slice(before).map((r) => r.type_url),
      [EDS],
    );
    assert.equal(server.metrics.pushes.get({ type: 'cds' }), 1, 'only the initial CDS response');
  });

  it('sends nothing when a full push changes nothing for the proxy', async () => {
    const { client, server } = await setup();
    await converge(client);
    server.pushAll({ full: true, reason: ['config'] });
    await client.none(300);
    assert.equal(server.syncStatus()[0]!.types['cds']!.status, 'SYNCED');
  });

  it('debounces ten quick changes into one push', async () => {
    const { client, server, generator } = await setup(bookinfoGenerator(), { debounceAfterMs: 50 });
    await converge(client);
    const preparedBefore = generator.prepared.length;
    for (let i = 1; i <= 10; i++) {
      generator.set(EDS, V1, endpoints(V1, `10.0.1.${i}`));
      server.pushAll({ full: false, reason: ['endpoint'], edsUpdates: new Set([V1]) });
    }
    const eds = await client.next(EDS);
    const cla = decodeAny(eds.resources[0]!) as { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: { address: string } } } }[] }[] };
    assert.equal(cla.endpoints[0]!.lb_endpoints[0]!.endpoint.address.socket_address.address, '10.0.1.10');
    await client.none(200);
    assert.equal(generator.prepared.length - preparedBefore, 1, 'one debounced push');
    assert.equal(server.metrics.debounceTime.count(), 1);
    assert.equal(server.metrics.pushTriggers.get({ type: 'endpoint' }), 10);
  });

  it('merges an endpoint change into a pending full push', async () => {
    const { client, server, generator } = await setup(bookinfoGenerator(), { debounceAfterMs: 50 });
    await converge(client);
    generator.set(RDS, '9080', route('9080', V2)).set(EDS, V1, endpoints(V1, '10.0.0.8'));
    server.pushAll({ full: false, reason: ['endpoint'], edsUpdates: new Set([V1]) });
    server.pushAll({ full: true, reason: ['config'] });
    await client.next(EDS);
    await client.next(RDS);
    assert.deepEqual(generator.prepared.at(-1)?.reason, ['endpoint', 'config']);
    assert.equal(generator.prepared.at(-1)?.full, true);
  });

  it('never sends a resource the generator got wrong, and keeps the rest flowing', async () => {
    const { client, server, generator, log } = await setup();
    await converge(client);
    generator.set(CDS, V1, { ...cluster(V1), conect_timeout: '1s' });
    generator.set(CDS, 'outbound|9080|v3|reviews.default.svc.cluster.local', cluster('outbound|9080|v3|reviews.default.svc.cluster.local'));
    server.pushAll({ full: true, reason: ['config'] });
    const cds = await client.next(CDS);
    // The bad V1 keeps its last good version (leaving it out would delete it); v3 is new.
    assert.deepEqual(namesOf(cds).sort(), [V1, V2, 'outbound|9080|v3|reviews.default.svc.cluster.local']);
    assert.equal(decodeAny(cds.resources.find((r) => decodeAny(r)['name'] === V1)!)['conect_timeout'], undefined);
    assert.equal(server.metrics.internalErrors.get(), 1);
    assert.match(log.warnings.join('\n'), /unknown field 'conect_timeout'.*did you mean 'connect_timeout'/);
  });

  it('closes a stream whose first request has no node with INVALID_ARGUMENT', async () => {
    const { port, server, client: good } = await setup();
    await converge(good);
    const client = new SotwClient(port, '');
    opened.push(client);
    client.send({ type_url: CDS });
    await client.responses.closed(3000);
    assert.equal(client.responses.error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(client.responses.error?.details ?? '', /missing node information/);
    assert.deepEqual(server.syncStatus().map((s) => s.node_id), ['sidecar~10.0.0.9~productpage-v1-abc.default~default.svc.cluster.local']);
  });

  it('ignores an unknown type URL and keeps serving the stream', async () => {
    const { client, log } = await setup();
    client.send({ type_url: 'type.googleapis.com/envoy.service.runtime.v3.Runtime', resource_names: ['rtds'] });
    await client.none(150);
    client.send({ type_url: CDS });
    assert.equal(namesOf(await client.next(CDS)).length, 2);
    assert.match(log.warnings.join('\n'), /unsupported type type\.googleapis\.com\/envoy\.service\.runtime\.v3\.Runtime/);
  });

  it('forgets a proxy that disconnects', async () => {
    const { client, server } = await setup();
    await converge(client);
    assert.equal(server.metrics.xdsClients.get({ version: '1.24.0' }), 1);
    assert.equal(server.syncStatus()[0]?.proxy, 'productpage-v1-abc.default');
    client.close();
    await waitFor(() => server.syncStatus().length === 0, 'the proxy to be forgotten');
    assert.equal(server.metrics.xdsClients.get({ version: '1.24.0' }), 0);
  });

  it('ends every stream with UNAVAILABLE when it stops, so proxies reconnect', async () => {
    const { client, server } = await setup();
    await converge(client);
    await server.stop();
    await client.responses.closed(3000);
    assert.equal(client.responses.error?.code, grpc.status.UNAVAILABLE);
  });
});
