/** `skein proxy-status` as a user runs it, against a live control plane with proxies in every state. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DebugServer } from '../../src/control/debug-server.js';
import type { XdsServer } from '../../src/control/xds-server.js';
import { SotwClient } from './ads-client.js';
import { startXdsServer, waitFor } from './harness.js';
import { bookinfoGenerator, CDS, cluster, EDS, LDS, RDS, V1, V2 } from './test-generator.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/skein.js');
const run = (...args: string[]) => promisify(execFile)(process.execPath, [bin, ...args], { timeout: 20_000 });

describe('skein proxy-status', () => {
  const generator = bookinfoGenerator();
  let server: XdsServer;
  let debug: DebugServer;
  let monitoringPort: number;
  const clients: SotwClient[] = [];

  before(async () => {
    const started = await startXdsServer(generator);
    server = started.server;
    debug = new DebugServer(server);
    monitoringPort = await debug.listen(0, '127.0.0.1');
    const synced = new SotwClient(started.port, 'sidecar~10.0.0.1~details-v1-1.default~default.svc.cluster.local');
    synced.autoAck();
    synced.send({ type_url: CDS });
    synced.send({ type_url: EDS, resource_names: [V1, V2] });
    synced.send({ type_url: LDS });
    synced.send({ type_url: RDS, resource_names: ['9080'] });
    const rejecting = new SotwClient(started.port, 'sidecar~10.0.0.2~reviews-v2-2.default~default.svc.cluster.local');
    rejecting.send({ type_url: LDS });
    rejecting.ack(await rejecting.next(LDS));
    rejecting.send({ type_url: CDS });
    const cds = await rejecting.next(CDS);
    rejecting.nack(cds, '', 'Proto constraint validation failed (ClusterValidationError.Name: value length must be at least 1 characters)');
    clients.push(synced, rejecting);
    await waitFor(
      () => server.syncStatus().length === 2 && server.syncStatus()[1]?.types['cds']?.status === 'NACKED',
      'both proxies known, one NACKed',
    );
    await waitFor(() => server.syncStatus()[0]?.types['rds']?.status === 'SYNCED', 'the first proxy SYNCED');
  });

  after(async () => {
    for (const client of clients) client.close();
    await debug.close();
    await server.stop();
  });

  it('prints a row per proxy with each type\'s status and version', async () => {
    const { stdout } = await run('proxy-status', '--control', `127.0.0.1:${monitoringPort}`);
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+CDS\s+LDS\s+EDS\s+RDS\s+VERSION$/);
    assert.match(lines[1]!, /^details-v1-1\.default\s+SYNCED \([0-9a-f]{8}\)\s+SYNCED \([0-9a-f]{8}\)\s+SYNCED \([0-9a-f]{8}\)\s+SYNCED \([0-9a-f]{8}\)\s+1\.24\.0$/);
    assert.match(
      lines[2]!,
      /^reviews-v2-2\.default\s+NACKED \([0-9a-f]{8}\): Proto constraint validation failed \(ClusterValidationError\.Name: value length must be at least 1 characters\)\s+SYNCED \([0-9a-f]{8}\)\s+NOT SENT\s+NOT SENT\s+1\.24\.0$/,
    );
    assert.equal(lines.length, 3);
  });

  it('shows STALE while a pushed version is not ACKed', async () => {
    generator.set(CDS, V1, cluster(V1, '6s'));
    server.pushAll({ full: true, reason: ['config'] });
    // The NACKing proxy receives the new version but never answers it.
    await waitFor(() => server.syncStatus()[1]?.types['cds']?.status === 'STALE', 'STALE');
    const { stdout } = await run('proxy-status', '--control', `127.0.0.1:${monitoringPort}`);
    assert.match(stdout.split('\n')[2]!, /^reviews-v2-2\.default\s+STALE \([0-9a-f]{8}\)\s+SYNCED/);
  });

  it('fails with the address when the control plane cannot be reached', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(run('proxy-status', '--control', `127.0.0.1:${port}`), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr, new RegExp(`cannot read http://127\\.0\\.0\\.1:${port}/debug/syncz: .*ECONNREFUSED`));
      return true;
    });
  });
});
