/**
 * Fifty proxies (half SotW, half delta) on one server converge after one change; the change is
 * encoded once for all of them; metrics on the monitoring port and /debug/syncz show it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DebugServer } from '../../src/control/debug-server.js';
import type { ProxySyncStatus } from '../../src/control/sync-status.js';
import type { XdsServer } from '../../src/control/xds-server.js';
import { DeltaClient, SotwClient } from './ads-client.js';
import { startXdsServer, waitFor } from './harness.js';
import { bookinfoGenerator, CDS, cluster, EDS, LDS, RDS, V1, V2 } from './test-generator.js';

const PROXIES = 50;

describe('convergence of 50 proxies', () => {
  const generator = bookinfoGenerator();
  let server: XdsServer;
  let debug: DebugServer;
  let monitoringPort: number;
  const clients: (SotwClient | DeltaClient)[] = [];

  before(async () => {
    const started = await startXdsServer(generator);
    server = started.server;
    debug = new DebugServer(server);
    monitoringPort = await debug.listen(0, '127.0.0.1');
    for (let i = 0; i < PROXIES; i++) {
      const id = `sidecar~10.0.1.${i}~productpage-${i}.default~default.svc.cluster.local`;
      if (i % 2 === 0) {
        const client = new SotwClient(started.port, id);
        client.autoAck();
        client.send({ type_url: CDS });
        client.send({ type_url: EDS, resource_names: [V1, V2] });
        client.send({ type_url: LDS });
        client.send({ type_url: RDS, resource_names: ['9080'] });
        clients.push(client);
      } else {
        const client = new DeltaClient(started.port, id);
        client.autoAck();
        client.send({ type_url: CDS });
        client.send({ type_url: EDS, resource_names_subscribe: [V1, V2] });
        client.send({ type_url: LDS });
        client.send({ type_url: RDS, resource_names_subscribe: ['9080'] });
        clients.push(client);
      }
    }
  });

  after(async () => {
    for (const client of clients) client.close();
    await debug.close();
    await server.stop();
  });

  const allSynced = (statuses: ProxySyncStatus[]) =>
    statuses.length === PROXIES &&
    statuses.every((s) => ['cds', 'eds', 'lds', 'rds'].every((t) => s.types[t]?.status === 'SYNCED'));

  it('every proxy gets and ACKs its initial config', async () => {
    await waitFor(() => allSynced(server.syncStatus()), 'all proxies SYNCED', 10_000);
    const statuses = server.syncStatus();
    // Versions are content hashes: the same clusters have the same version on both protocols.
    assert.equal(new Set(statuses.map((s) => s.types['cds']!.version_acked)).size, 1);
    assert.deepEqual(new Set(statuses.map((s) => s.protocol)), new Set(['sotw', 'delta']));
  });

  it('converges after one change, encoding the changed resource once', async () => {
    const encodingsBefore = server.encoder.encodings;
    const convergedBefore = server.metrics.convergenceTime.count();
    const ackedBefore = server.metrics.ackConvergenceTime.count();
    const versionsBefore = new Map(server.syncStatus().map((s) => [s.proxy, s.types['cds']!.version_acked]));
    generator.set(CDS, V1, cluster(V1, '2s'));
    server.pushAll({ full: true, reason: ['config'] });
    await waitFor(
      () =>
        allSynced(server.syncStatus()) &&
        server.syncStatus().every((s) => s.types['cds']!.version_acked !== versionsBefore.get(s.proxy)),
      'all proxies SYNCED on the new CDS version',
      10_000,
    );
    assert.equal(server.encoder.encodings - encodingsBefore, 1, 'one cluster changed: one encoding for 50 proxies');
    assert.equal(server.metrics.convergenceTime.count() - convergedBefore, PROXIES);
    await waitFor(() => server.metrics.ackConvergenceTime.count() - ackedBefore === PROXIES, 'an ACK convergence per proxy');
  });

  it('serves Prometheus metrics with istiod names on the monitoring port', async () => {
    const response = await fetch(`http://127.0.0.1:${monitoringPort}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    assert.match(text, /^pilot_xds\{version="1\.24\.0"\} 50$/m);
    assert.match(text, /^# TYPE pilot_xds_pushes counter$/m);
    // 50 initial CDS responses and 50 pushes of the changed cluster.
    assert.match(text, /^pilot_xds_pushes\{type="cds"\} 100$/m);
    assert.match(text, /^pilot_proxy_convergence_time_count 50$/m);
    assert.match(text, /^pilot_proxy_convergence_time_bucket\{le="0\.1"\} \d+$/m);
    assert.match(text, /^pilot_debounce_time_count 1$/m);
    assert.match(text, /^pilot_xds_push_time_count\{type="eds"\} \d+$/m);
    assert.match(text, /^pilot_xds_send_time_count \d+$/m);
    assert.match(text, /^skein_proxy_ack_convergence_time_count 50$/m);
  });

  it('lists every proxy in /debug/syncz and dumps one proxy\'s config', async () => {
    const syncz = (await (await fetch(`http://127.0.0.1:${monitoringPort}/debug/syncz`)).json()) as ProxySyncStatus[];
    assert.equal(syncz.length, PROXIES);
    const first = syncz.find((s) => s.proxy === 'productpage-0.default')!;
    assert.equal(first.node_id, 'sidecar~10.0.1.0~productpage-0.default~default.svc.cluster.local');
    assert.equal(first.cluster_sent, first.cluster_acked);
    assert.equal(first.types['cds']!.status, 'SYNCED');
    assert.equal(first.types['cds']!.resources, 2);

    const dump = (await (
      await fetch(`http://127.0.0.1:${monitoringPort}/debug/config_dump?proxyID=productpage-0.default`)
    ).json()) as { configs: { dynamic_active_clusters?: { cluster: { name: string; connect_timeout: string } }[] }[] };
    const clusters = dump.configs[0]!.dynamic_active_clusters!;
    assert.equal(clusters.find((c) => c.cluster.name === V1)?.cluster.connect_timeout, '2s');
    const missing = await fetch(`http://127.0.0.1:${monitoringPort}/debug/config_dump?proxyID=nobody`);
    assert.equal(missing.status, 404);
  });
});
