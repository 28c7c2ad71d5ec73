/**
 * `skein control` as a user runs it: a config directory holding Bookinfo's Kubernetes manifest
 * (its Services become services) and Istio YAML, a registry file declaring the workloads, and a
 * real sidecar. Editing the watched files changes traffic; an invalid file is reported with
 * file:line and changes nothing; SIGTERM stops the control plane cleanly.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ProxySyncStatus } from '../../src/control/sync-status.js';
import { stopAll, TestProcess } from '../support/child-processes.js';
import { conformancePath, conformanceSkip } from '../support/conformance.js';
import { loopbackSubnet } from '../support/loopback.js';
import { eventually, startVersionServer, type VersionServer, viaProxy } from '../support/mesh-http.js';
import { freePort } from '../support/proxy-harness.js';
import { Sidecar } from '../support/sidecar.js';
import { tempDir } from '../support/temp-dir.js';

const REVIEWS = 'http://reviews:9080/reviews/0';
const JASON = { 'end-user': 'jason' };

describe('skein control', conformanceSkip(), () => {
  const ip = loopbackSubnet();
  const bookinfo = (...parts: string[]) => conformancePath('istio/bookinfo', ...parts);
  const tmp = tempDir('skein-control-');
  const configDir = path.join(tmp, 'config');
  const registryFile = path.join(tmp, 'registry.yaml');
  const reviewsFile = path.join(configDir, 'reviews.yaml');
  const apps: VersionServer[] = [];
  let control: TestProcess;
  let productpage: Sidecar;
  let monitoringPort = 0;

  const registry = (versions: readonly string[]) =>
    [
      '- workloads:',
      `  - {name: productpage-v1, address: ${ip(1)}, labels: {app: productpage, version: v1}}`,
      ...versions.map((v, i) => `  - {name: reviews-${v}, address: ${ip(2 + i)}, labels: {app: reviews, version: ${v}}}`),
      '',
    ].join('\n');
  const versionOf = async (headers: Record<string, string> = {}) => (await viaProxy(productpage, REVIEWS, headers)).version;

  before(async () => {
    mkdirSync(configDir);
    copyFileSync(bookinfo('kube/bookinfo.yaml'), path.join(configDir, 'bookinfo.yaml'));
    copyFileSync(bookinfo('networking/destination-rule-all.yaml'), path.join(configDir, 'destination-rule-all.yaml'));
    copyFileSync(bookinfo('networking/virtual-service-reviews-test-v2.yaml'), reviewsFile);
    writeFileSync(registryFile, registry(['v1', 'v2']));
    apps.push(
      await startVersionServer(ip(2), 9080, 'v1'),
      await startVersionServer(ip(3), 9080, 'v2'),
      await startVersionServer(ip(4), 9080, 'v3'),
    );
    const xdsPort = await freePort();
    monitoringPort = await freePort();
    control = TestProcess.skein('skein-control', [
      'control', '--config-dir', configDir, '--registry-file', registryFile,
      '--xds-port', String(xdsPort), '--monitoring-port', String(monitoringPort),
    ]);
    await control.waitForOutput(/watching .* and .*registry\.yaml/);
    productpage = new Sidecar({ xdsPort, ip: ip(1), pod: 'productpage-v1', labels: { app: 'productpage', version: 'v1' }, appPorts: { 9080: 19080 } });
    await productpage.ready();
  });

  after(async () => {
    await stopAll([productpage?.process, control]);
    await Promise.all(apps.map((a) => a.close()));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('prints where it listens and serves the Services of the directory with the registry file workloads', async () => {
    assert.match(control.output, new RegExp(`xDS \\(ADS\\) on 127\\.0\\.0\\.1:\\d+; /metrics and /debug/syncz on http://127\\.0\\.0\\.1:${monitoringPort}`));
    assert.equal(await versionOf(), 'v1');
    assert.equal(await versionOf(JASON), 'v2');
    await eventually(async () => {
      const statuses = (await (await fetch(`http://127.0.0.1:${monitoringPort}/debug/syncz`)).json()) as ProxySyncStatus[];
      const status = statuses.find((s) => s.proxy === productpage.proxyId);
      return status !== undefined && ['cds', 'eds', 'lds', 'rds'].every((t) => status.types[t]?.status === 'SYNCED');
    }, 'the sidecar SYNCED in /debug/syncz');
  });

  it('rejects an invalid edit with file:line and keeps the file\'s last accepted version', async () => {
    // virtual-service-reviews-test-v2 with an unknown field on line 12.
    writeFileSync(
      reviewsFile,
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts:\n    - reviews\n  http:\n  - match:\n    - headers:\n        end-user:\n          exactly: jason\n    route:\n    - destination:\n        host: reviews\n        subset: v3\n',
    );
    await control.waitForOutput(/reviews\.yaml: rejected/);
    assert.match(control.output, /Error \[IST\d+\] \(VirtualService default\/reviews .*reviews\.yaml:12\) .*exactly/);
    assert.equal(await versionOf(), 'v1');
    assert.equal(await versionOf(JASON), 'v2');
  });

  it('applies edits to the registry file and the config directory', async () => {
    writeFileSync(registryFile, registry(['v1', 'v2', 'v3']));
    await control.waitForOutput(/registry\.yaml: applied/);
    copyFileSync(bookinfo('networking/virtual-service-reviews-v3.yaml'), reviewsFile);
    await control.waitForOutput(/reviews\.yaml: applied/);
    await eventually(async () => (await versionOf()) === 'v3' && (await versionOf(JASON)) === 'v3', 'reviews v3 for everyone', 3000);
  });

  it('stops cleanly on SIGTERM', async () => {
    const exit = await control.stop(5000);
    assert.deepEqual(exit, { code: 0, signal: null }, control.output);
    assert.match(control.output, /SIGTERM: stopping/);
    // The sidecar keeps serving its last config with the control plane gone.
    assert.equal(await versionOf(), 'v3');
  });
});
