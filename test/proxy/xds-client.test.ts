/**
 * The proxy as an xDS client, over real gRPC and real sockets: a small ADS server (the real
 * AggregatedDiscoveryService) hands it listeners, routes, clusters and endpoints; requests go
 * through it to echo upstreams.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AdsTestServer,
  CLUSTER_TYPE_URL,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
} from '../support/ads-test-server.js';
import { runLoad } from '../support/load-client.js';
import { admin, freePort, get, startUpstream, type Upstream } from '../support/proxy-harness.js';
import { edsCluster, loadAssignment, rdsListener, routeTo, startXdsProxy, type XdsProxy } from '../support/xds-fixtures.js';

const named = (name: string) => startUpstream(name, (_req, res) => res.end(name));

async function stat(proxy: XdsProxy, name: string): Promise<number | undefined> {
  const body = (await admin(proxy.adminPort, `/stats?filter=${encodeURIComponent(`^${name.replace(/\./g, '\\.')}$`)}`)).body;
  const line = body.split('\n').find((l) => l.startsWith(`${name}: `));
  return line === undefined ? undefined : Number(line.slice(name.length + 2));
}

async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('proxy configured over ADS', () => {
  let ads: AdsTestServer;
  let a: Upstream;
  let b: Upstream;
  let port: number;
  let proxy: XdsProxy;

  before(async () => {
    a = await named('a');
    b = await named('b');
    port = await freePort();
    ads = new AdsTestServer();
    await ads.start();
    ads.set(CLUSTER_TYPE_URL, 'c1', [edsCluster('a'), edsCluster('b')]);
    ads.set(ENDPOINT_TYPE_URL, 'e1', [loadAssignment('a', [a.port]), loadAssignment('b', [b.port])]);
    ads.set(LISTENER_TYPE_URL, 'l1', [rdsListener('http', port, 'local')]);
    ads.set(ROUTE_TYPE_URL, 'r1', [routeTo('local', 'a')]);
    proxy = await startXdsProxy(ads.target);
    await proxy.started;
  });

  after(async () => {
    await proxy.close();
    ads.stop();
    await a.close();
    await b.close();
  });

  it('serves traffic configured only over ADS and ACKs every type', async () => {
    const response = await get(port, '/');
    assert.equal(response.status, 200);
    assert.equal(response.body, 'a');
    assert.deepEqual(await admin(proxy.adminPort, '/ready'), { status: 200, body: 'LIVE\n' });
    for (const [type, version] of [
      [CLUSTER_TYPE_URL, 'c1'],
      [ENDPOINT_TYPE_URL, 'e1'],
      [LISTENER_TYPE_URL, 'l1'],
      [ROUTE_TYPE_URL, 'r1'],
    ] as const) {
      await ads.waitForAck(type, version);
    }
    const first = ads.requests[0]!.request;
    assert.equal(first.type_url, CLUSTER_TYPE_URL, 'CDS is requested first');
    assert.equal(first.node?.id, 'sidecar~127.0.0.1~echo-client-1.default~default.svc.cluster.local');
    assert.equal(first.node?.cluster, 'echo-client.default');
    assert.equal(first.node?.user_agent_name, 'skein');
    const metadata = first.node?.metadata?.fields ?? {};
    assert.equal(metadata.NAMESPACE?.stringValue, 'default');
    assert.equal(metadata.INSTANCE_IPS?.stringValue, '127.0.0.1');
    assert.equal(metadata.LABELS?.structValue?.fields.app?.stringValue, 'echo-client');
    assert.equal(ads.requests[1]!.request.node, null, 'set_node_on_first_message_only');
    const eds = ads.requestsOf(ENDPOINT_TYPE_URL).at(-1)!;
    assert.deepEqual(eds.resource_names, ['a', 'b']);
    assert.deepEqual(ads.requestsOf(ROUTE_TYPE_URL).at(-1)!.resource_names, ['local']);
    assert.equal(await stat(proxy, 'control_plane.connected_state'), 1);
    assert.equal(await stat(proxy, 'cluster_manager.cds.update_rejected'), 0);
    assert.ok((await stat(proxy, 'cluster_manager.cds.update_success'))! >= 1);
    assert.ok((await stat(proxy, 'listener_manager.lds.update_success'))! >= 1);
    assert.ok((await stat(proxy, 'http.http.rds.local.update_success'))! >= 1);
  });

  it('re-routes on an RDS update in place, without dropping a request or a connection', async () => {
    const before = await stat(proxy, `listener.127.0.0.1_${port}.downstream_cx_total`);
    const load = runLoad({ port, concurrency: 2 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    ads.set(ROUTE_TYPE_URL, 'r2', [routeTo('local', 'b')]);
    await ads.waitForAck(ROUTE_TYPE_URL, 'r2');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const result = await load.stop();
    assert.equal(result.failed, 0, result.errors.join('\n'));
    assert.ok((result.bodies.get('a') ?? 0) > 0 && (result.bodies.get('b') ?? 0) > 0, 'traffic moved from a to b');
    assert.equal((await get(port, '/')).body, 'b');
    const after = await stat(proxy, `listener.127.0.0.1_${port}.downstream_cx_total`);
    // Two keep-alive workers (and the GET): no connection was drained by the route change.
    assert.ok(after! - before! <= 3, `connections opened: ${after! - before!}`);
    assert.ok((await stat(proxy, 'http.http.rds.local.config_reload'))! >= 2);
  });

  it('NACKs an invalid route configuration with the field path and keeps serving the last good one', async () => {
    ads.set(ROUTE_TYPE_URL, 'r3', [
      {
        name: 'local',
        virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { safe_regex: { regex: '(' } }, route: { cluster: 'a' } }] }],
      },
    ]);
    const nack = await ads.waitFor((r) => r.request.type_url === ROUTE_TYPE_URL && r.request.error_detail !== null, 5000, 'RDS NACK');
    assert.equal(nack.request.version_info, 'r2', 'a NACK carries the last good version');
    assert.equal(nack.request.error_detail?.code, 13);
    assert.match(nack.request.error_detail!.message, /^RouteConfiguration 'local': virtual_hosts\[0\]\.routes\[0\]\.match\.safe_regex/);
    for (let i = 0; i < 5; i++) assert.equal((await get(port, '/')).body, 'b');
    assert.equal(await stat(proxy, 'http.http.rds.local.update_rejected'), 1);
  });

  it('NACKs a listener it cannot apply, shows its error_state, and changes no listener', async () => {
    const otherPort = await freePort();
    ads.set(LISTENER_TYPE_URL, 'l2', [
      rdsListener('http', port, 'local'),
      rdsListener('bad', otherPort, 'local', { tcp_fast_open_queue_length: 5 }),
    ]);
    const nack = await ads.waitFor((r) => r.request.type_url === LISTENER_TYPE_URL && r.request.error_detail !== null, 5000, 'LDS NACK');
    assert.equal(nack.request.version_info, 'l1');
    assert.match(nack.request.error_detail!.message, /Listener 'bad': tcp_fast_open_queue_length: field 'tcp_fast_open_queue_length' is not supported/);
    type Dump = { configs: { '@type': string; version_info?: string; dynamic_listeners?: Record<string, { version_info?: string; details?: string }>[] }[] };
    const dump = JSON.parse((await admin(proxy.adminPort, '/config_dump')).body) as Dump;
    const listeners = dump.configs.find((c) => c['@type'].endsWith('ListenersConfigDump'))!;
    assert.equal(listeners.version_info, 'l1');
    const bad = listeners.dynamic_listeners!.find((l) => (l as unknown as { name: string }).name === 'bad')!;
    assert.equal(bad.active_state, undefined);
    assert.match(bad.error_state!.details!, /tcp_fast_open_queue_length/);
    assert.equal(bad.error_state!.version_info, 'l2');
    const http = listeners.dynamic_listeners!.find((l) => (l as unknown as { name: string }).name === 'http')!;
    assert.equal(http.active_state!.version_info, 'l1');
    assert.equal((await get(port, '/')).body, 'b');
    assert.equal(await stat(proxy, 'listener_manager.lds.update_rejected'), 1);

    ads.set(LISTENER_TYPE_URL, 'l3', [rdsListener('http', port, 'local')]);
    await ads.waitForAck(LISTENER_TYPE_URL, 'l3');
    const clean = JSON.parse((await admin(proxy.adminPort, '/config_dump')).body) as Dump;
    const names = clean.configs.find((c) => c['@type'].endsWith('ListenersConfigDump'))!.dynamic_listeners!.map((l) => (l as unknown as { name: string }).name);
    assert.deepEqual(names, ['http']);
  });

  it('keeps serving while the control plane is down and resyncs when it is back on the same port', async () => {
    const streamsBefore = Math.max(...ads.requests.map((r) => r.stream));
    ads.stop();
    await eventually(async () => (await stat(proxy, 'control_plane.connected_state')) === 0, 'disconnected');
    for (let i = 0; i < 5; i++) assert.equal((await get(port, '/')).body, 'b');
    await new Promise((resolve) => setTimeout(resolve, 300)); // a few failed reconnects
    assert.ok((await stat(proxy, 'cluster_manager.cds.update_failure'))! >= 1);
    assert.equal((await get(port, '/')).body, 'b');

    await ads.start();
    const resync = await ads.waitFor((r) => r.stream > streamsBefore, 5000, 'a new stream');
    assert.equal(resync.request.type_url, CLUSTER_TYPE_URL);
    assert.equal(resync.request.version_info, 'c1', 'resubscribes with the last accepted version');
    assert.equal(resync.request.response_nonce, '');
    assert.ok(resync.request.node, 'the first request of a stream carries the node');
    const rds = await ads.waitFor((r) => r.stream > streamsBefore && r.request.type_url === ROUTE_TYPE_URL, 5000, 'RDS resubscription');
    assert.equal(rds.request.version_info, 'r2');
    assert.deepEqual(rds.request.resource_names, ['local']);
    await eventually(async () => (await stat(proxy, 'control_plane.connected_state')) === 1, 'reconnected');

    ads.set(ROUTE_TYPE_URL, 'r4', [routeTo('local', 'a')]);
    await ads.waitForAck(ROUTE_TYPE_URL, 'r4');
    assert.equal((await get(port, '/')).body, 'a');
  });

  it('stops using a cluster that CDS removed and stops asking for its endpoints', async () => {
    ads.set(ROUTE_TYPE_URL, 'r5', [routeTo('local', 'b')]);
    await ads.waitForAck(ROUTE_TYPE_URL, 'r5');
    assert.equal((await get(port, '/')).body, 'b');
    const served = b.requests.length;
    ads.set(CLUSTER_TYPE_URL, 'c2', [edsCluster('a')]);
    await ads.waitForAck(CLUSTER_TYPE_URL, 'c2');
    const response = await get(port, '/');
    assert.equal(response.status, 503);
    assert.equal(b.requests.length, served, 'the removed cluster gets no request');
    assert.deepEqual(ads.requestsOf(ENDPOINT_TYPE_URL).at(-1)!.resource_names, ['a']);
    const clusters = (await admin(proxy.adminPort, '/clusters')).body;
    assert.doesNotMatch(clusters, /^b::/m);
  });
});

describe('listener warming and the initial fetch', () => {
  it('keeps a listener whose RDS has not arrived warming: not ready, not accepting, no 404', async () => {
    const a = await named('a');
    const b = await named('b');
    const port = await freePort();
    const ads = new AdsTestServer();
    await ads.start();
    ads.set(CLUSTER_TYPE_URL, 'c1', [edsCluster('a'), edsCluster('b')]);
    ads.set(ENDPOINT_TYPE_URL, 'e1', [loadAssignment('a', [a.port]), loadAssignment('b', [b.port])]);
    ads.set(LISTENER_TYPE_URL, 'l1', [rdsListener('http', port, 'later')]);
    const proxy = await startXdsProxy(ads.target);
    try {
      await ads.waitForAck(LISTENER_TYPE_URL, 'l1');
      await ads.waitFor((r) => r.request.type_url === ROUTE_TYPE_URL, 5000, 'RDS request');
      assert.deepEqual(await admin(proxy.adminPort, '/ready'), { status: 503, body: 'INITIALIZING\n' });
      await assert.rejects(get(port, '/'), /ECONNREFUSED/, 'a warming listener accepts nothing');
      assert.equal(await stat(proxy, 'listener_manager.total_listeners_warming'), 1);
      type Listeners = { dynamic_listeners: { name: string; active_state?: unknown; warming_state?: { version_info: string } }[] };
      const dumpListeners = async () =>
        (JSON.parse((await admin(proxy.adminPort, '/config_dump')).body) as { configs: (Listeners & { '@type': string })[] }).configs.find((c) =>
          c['@type'].endsWith('ListenersConfigDump'),
        )!.dynamic_listeners;
      const warming = (await dumpListeners())[0]!;
      assert.equal(warming.active_state, undefined);
      assert.equal(warming.warming_state?.version_info, 'l1');

      ads.set(ROUTE_TYPE_URL, 'r1', [routeTo('later', 'a')]);
      await proxy.started;
      assert.deepEqual(await admin(proxy.adminPort, '/ready'), { status: 200, body: 'LIVE\n' });
      assert.equal((await get(port, '/')).body, 'a');

      // An update that needs a new route configuration warms beside the serving listener.
      ads.set(LISTENER_TYPE_URL, 'l2', [rdsListener('http', port, 'later2')]);
      await ads.waitForAck(LISTENER_TYPE_URL, 'l2');
      const both = (await dumpListeners())[0]!;
      assert.ok(both.active_state && both.warming_state, 'active and warming at once');
      assert.equal((await get(port, '/')).body, 'a', 'the old listener serves until the new one warmed');
      ads.set(ROUTE_TYPE_URL, 'r2', [routeTo('later', 'a'), routeTo('later2', 'b')]);
      // (A connection accepted by the old listener just before the swap is closed by its drain.)
      await eventually(async () => (await get(port, '/').catch(() => undefined))?.body === 'b', 'the warmed listener serves');
      assert.equal((await dumpListeners())[0]!.warming_state, undefined);
    } finally {
      await proxy.close();
      ads.stop();
      await a.close();
      await b.close();
    }
  });

  it('goes LIVE after initial_fetch_timeout with no control plane, then applies it when it comes', async () => {
    const a = await named('a');
    const port = await freePort();
    const adsPort = await freePort();
    const proxy = await startXdsProxy(`127.0.0.1:${adsPort}`, (bootstrap) => {
      const dynamic = bootstrap.dynamic_resources as Record<string, Record<string, unknown>>;
      dynamic.cds_config!.initial_fetch_timeout = '0.2s';
      dynamic.lds_config!.initial_fetch_timeout = '0.2s';
    });
    const ads = new AdsTestServer();
    try {
      await proxy.started;
      assert.deepEqual(await admin(proxy.adminPort, '/ready'), { status: 200, body: 'LIVE\n' });
      assert.equal(await stat(proxy, 'cluster_manager.cds.init_fetch_timeout'), 1);
      assert.equal(await stat(proxy, 'listener_manager.lds.init_fetch_timeout'), 1);
      assert.equal(await stat(proxy, 'control_plane.connected_state'), 0);

      ads.set(CLUSTER_TYPE_URL, 'c1', [edsCluster('a')]);
      ads.set(ENDPOINT_TYPE_URL, 'e1', [loadAssignment('a', [a.port])]);
      ads.set(LISTENER_TYPE_URL, 'l1', [rdsListener('http', port, 'local')]);
      ads.set(ROUTE_TYPE_URL, 'r1', [routeTo('local', 'a')]);
      await ads.start(adsPort);
      await ads.waitForAck(ROUTE_TYPE_URL, 'r1');
      await eventually(async () => (await get(port, '/').catch(() => undefined))?.body === 'a', 'serving over ADS');
    } finally {
      await proxy.close();
      ads.stop();
      await a.close();
    }
  });
});
