/**
 * `skein proxy --xds` and `skein proxy-config` as a user runs them: the proxy is a child
 * process configured only by a (test) ADS server; proxy-config reads its admin API.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  AdsTestServer,
  CLUSTER_TYPE_URL,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
} from '../support/ads-test-server.js';
import { freePort, get, startUpstream, type Upstream } from '../support/proxy-harness.js';
import { edsCluster, loadAssignment, rdsListener, routeTo } from '../support/xds-fixtures.js';
import { tempDir } from '../support/temp-dir.js';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/skein.js');
const run = promisify(execFile);
const CLUSTER = 'outbound|8080||echo.default.svc.cluster.local';

async function skein(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function startProxy(args: string[]): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [bin, 'proxy', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

async function waitLive(adminPort: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${adminPort}/ready`).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`proxy never became LIVE; stderr:\n${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('skein proxy --xds and skein proxy-config', () => {
  let ads: AdsTestServer;
  let echo: Upstream;
  let port: number;
  let adminPort: number;
  let proxy: ReturnType<typeof startProxy>;

  before(async () => {
    echo = await startUpstream('echo', (_req, res) => res.end('echo'));
    port = await freePort();
    adminPort = await freePort();
    ads = new AdsTestServer();
    await ads.start();
    ads.set(CLUSTER_TYPE_URL, 'c1', [edsCluster(CLUSTER)]);
    ads.set(ENDPOINT_TYPE_URL, 'e1', [loadAssignment(CLUSTER, [echo.port])]);
    ads.set(LISTENER_TYPE_URL, 'l1', [rdsListener('http', port, '8080')]);
    ads.set(ROUTE_TYPE_URL, 'r1', [routeTo('8080', CLUSTER)]);
    proxy = startProxy([
      '--xds', ads.target,
      '--node-id', 'sidecar~127.0.0.1~client-1.default~default.svc.cluster.local',
      '--namespace', 'default',
      '--labels', 'app=client,version=v1',
      '--instance-ips', '127.0.0.1',
      '--admin-port', String(adminPort),
    ]);
    await waitLive(adminPort, proxy.stderr);
  });

  after(async () => {
    proxy.child.kill('SIGKILL');
    ads.stop();
    await echo.close();
  });

  it('serves what the xDS server sent, as the node the flags describe', async () => {
    assert.equal((await get(port, '/')).body, 'echo');
    const node = ads.requests[0]!.request.node!;
    assert.equal(node.id, 'sidecar~127.0.0.1~client-1.default~default.svc.cluster.local');
    assert.equal(node.cluster, 'client.default');
    assert.equal(node.metadata?.fields.LABELS?.structValue?.fields.version?.stringValue, 'v1');
    assert.match(proxy.stderr(), /configuring over ADS from 127\.0\.0\.1:\d+\n.*LIVE/s);
  });

  it('prints listeners, routes, clusters and endpoints as istioctl tables', async () => {
    const admin = ['--admin', `127.0.0.1:${adminPort}`];
    const listeners = await skein('proxy-config', 'listeners', ...admin);
    assert.equal(listeners.code, 0, listeners.stderr);
    assert.match(listeners.stdout, /^NAME {2,}ADDRESSES {2,}PORT {2,}MATCH {2,}DESTINATION {2,}STATE$/m);
    assert.match(listeners.stdout, new RegExp(`^http {2,}127\\.0\\.0\\.1 {2,}${port} {2,}ALL {2,}Route: 8080 {2,}ACTIVE$`, 'm'));

    const routes = await skein('proxy-config', 'routes', ...admin);
    assert.match(routes.stdout, /^NAME {2,}VHOST NAME {2,}DOMAINS {2,}MATCH {2,}VIRTUAL SERVICE$/m);
    assert.match(routes.stdout, /^8080 {2,}all {2,}\* {2,}\/\*$/m);

    const clusters = await skein('proxy-config', 'clusters', ...admin);
    assert.match(clusters.stdout, /^echo\.default\.svc\.cluster\.local {2,}8080 {2,}- {2,}outbound {2,}EDS$/m);
    assert.match(clusters.stdout, /^xds-grpc {2,}- {2,}- {2,}- {2,}STATIC$/m);

    const endpoints = await skein('proxy-config', 'endpoints', ...admin);
    assert.match(
      endpoints.stdout,
      new RegExp(`^127\\.0\\.0\\.1:${echo.port} {2,}HEALTHY {2,}OK {2,}outbound\\|8080\\|\\|echo\\.default\\.svc\\.cluster\\.local$`, 'm'),
    );
  });

  it('prints JSON with -o json, the bootstrap, and explains bad input', async () => {
    const admin = ['--admin', `127.0.0.1:${adminPort}`];
    const listeners = JSON.parse((await skein('proxy-config', 'listeners', ...admin, '-o', 'json')).stdout) as { name: string }[];
    assert.deepEqual(listeners.map((l) => l.name), ['http']);
    const bootstrap = JSON.parse((await skein('proxy-config', 'bootstrap', ...admin)).stdout) as {
      node: { id: string; metadata: { NAMESPACE: string } };
    };
    assert.equal(bootstrap.node.metadata.NAMESPACE, 'default');
    const unknown = await skein('proxy-config', 'secrets', ...admin);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown type 'secrets'/);
    const unreachable = await skein('proxy-config', 'clusters', '--admin', `127.0.0.1:${await freePort()}`);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot read the admin API/);
  });

  it('drains and exits 0 on SIGTERM', async () => {
    proxy.child.kill('SIGTERM');
    assert.equal(await proxy.exited, 0);
  });
});

describe('skein proxy --config with --xds', () => {
  it('serves the file\'s static listener and the ADS-configured one', async () => {
    const echo = await startUpstream('echo', (_req, res) => res.end('echo'));
    const [port, staticPort, adminPort] = [await freePort(), await freePort(), await freePort()];
    const ads = new AdsTestServer();
    await ads.start();
    ads.set(CLUSTER_TYPE_URL, 'c1', [edsCluster('echo')]);
    ads.set(ENDPOINT_TYPE_URL, 'e1', [loadAssignment('echo', [echo.port])]);
    ads.set(LISTENER_TYPE_URL, 'l1', [rdsListener('http', port, 'local')]);
    ads.set(ROUTE_TYPE_URL, 'r1', [routeTo('local', 'echo')]);
    const file = path.join(tempDir('skein-xds-'), 'bootstrap.yaml');
    writeFileSync(
      file,
      [
        'static_resources:',
        '  listeners:',
        '  - name: static',
        `    address: { socket_address: { address: 127.0.0.1, port_value: ${staticPort} } }`,
        '    filter_chains:',
        '    - filters:',
        '      - name: envoy.filters.network.http_connection_manager',
        '        typed_config:',
        "          '@type': type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        '          stat_prefix: static',
        '          route_config:',
        '            virtual_hosts:',
        "            - { name: all, domains: ['*'], routes: [{ match: { prefix: / }, direct_response: { status: 200, body: { inline_string: static } } }] }",
        '          http_filters:',
        '          - name: envoy.filters.http.router',
        "            typed_config: { '@type': type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }",
        '',
      ].join('\n'),
    );
    const proxy = startProxy(['--config', file, '--xds', ads.target, '--node-id', 'n1', '--admin-port', String(adminPort)]);
    try {
      await waitLive(adminPort, proxy.stderr);
      assert.equal((await get(staticPort, '/')).body, 'static');
      assert.equal((await get(port, '/')).body, 'echo');
      const noNode = await skein('proxy', '--xds', ads.target, '--admin-port', '0');
      assert.equal(noNode.code, 1);
      assert.match(noNode.stderr, /--xds needs --node-id/);
    } finally {
      proxy.child.kill('SIGKILL');
      ads.stop();
      await echo.close();
    }
  });
});
