/**
 * The control plane end to end on loopback: Bookinfo's reviews routing from Istio's own YAML,
 * pushed over ADS to two real `skein proxy` processes.
 *
 *   client ──absolute-form HTTP──► productpage sidecar (http-proxy mode, IP .1:15080)
 *                                    ├─► reviews-v1 app (.2:9080, no sidecar)
 *                                    ├─► reviews-v2 sidecar (.3:9080 inbound) ─► reviews-v2 app (.3:19080)
 *                                    └─► reviews-v3 app (.4:9080, no sidecar)
 *
 * The control plane runs in this process over a MemoryConfigStore and a MemoryRegistry; config
 * goes through the real loader. Changes must reach traffic within a second with no failed
 * request; an invalid file must change nothing; the proxies must keep serving while the
 * control plane is down and reconverge when it comes back on the same port.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryConfigStore } from '../../src/config/store/memory-store.js';
import { ControlPlane } from '../../src/control/control-plane.js';
import type { ProxySyncStatus } from '../../src/control/sync-status.js';
import { MemoryRegistry } from '../../src/registry/memory-registry.js';
import { stopAll } from '../support/child-processes.js';
import { conformancePath, conformanceSkip } from '../support/conformance.js';
import { loopbackSubnet } from '../support/loopback.js';
import { applyFiles, kubeService, workload } from '../support/mesh-fixtures.js';
import { eventually, SteadyLoad, startVersionServer, type VersionServer, viaProxy } from '../support/mesh-http.js';
import { Sidecar } from '../support/sidecar.js';
import { tempDir } from '../support/temp-dir.js';

const REVIEWS = 'http://reviews:9080/reviews/0';
const JASON = { 'end-user': 'jason' };

describe('control plane end to end (Bookinfo reviews on loopback)', conformanceSkip(), () => {
  const ip = loopbackSubnet();
  const networking = (file: string) => conformancePath('istio/bookinfo/networking', file);
  const store = new MemoryConfigStore();
  const registry = new MemoryRegistry('Kubernetes');
  const apps: VersionServer[] = [];
  let control: ControlPlane | undefined;
  let xdsPort = 0;
  let monitoringPort = 0;
  let productpage: Sidecar;
  let reviewsV2: Sidecar;
  const tmp = tempDir('skein-e2e-');

  const startControlPlane = async (ports: { xdsPort: number; monitoringPort: number }) => {
    control = new ControlPlane({ store, registries: [registry], xds: { debounceAfterMs: 10, debounceMaxMs: 100 } });
    ({ xdsPort, monitoringPort } = await control.listen(ports));
  };

  const syncz = async (): Promise<ProxySyncStatus[]> => {
    const response = await fetch(`http://127.0.0.1:${monitoringPort}/debug/syncz`);
    return (await response.json()) as ProxySyncStatus[];
  };
  const allSynced = async (sidecars: readonly Sidecar[]) => {
    const statuses = await syncz();
    return sidecars.every((s) => {
      const status = statuses.find((st) => st.proxy === s.proxyId);
      return status !== undefined && ['cds', 'eds', 'lds', 'rds'].every((t) => status.types[t]?.status === 'SYNCED');
    });
  };

  before(async () => {
    apps.push(
      await startVersionServer(ip(2), 9080, 'v1'),
      await startVersionServer(ip(3), 19080, 'v2'),
      await startVersionServer(ip(4), 9080, 'v3'),
    );
    registry.batch(() => {
      for (const name of ['productpage', 'reviews', 'ratings', 'details']) registry.addService(kubeService(name, { http: 9080 }));
      registry.addWorkload(workload('productpage-v1', ip(1), { app: 'productpage', version: 'v1' }));
      registry.addWorkload(workload('reviews-v1', ip(2), { app: 'reviews', version: 'v1' }));
      registry.addWorkload(workload('reviews-v2', ip(3), { app: 'reviews', version: 'v2' }));
      registry.addWorkload(workload('reviews-v3', ip(4), { app: 'reviews', version: 'v3' }));
    });
    const loaded = applyFiles(store, networking('destination-rule-all.yaml'), networking('virtual-service-all-v1.yaml'));
    assert.deepEqual(loaded.formatted, []);
    await startControlPlane({ xdsPort: 0, monitoringPort: 0 });
    productpage = new Sidecar({ xdsPort, ip: ip(1), pod: 'productpage-v1', labels: { app: 'productpage', version: 'v1' }, appPorts: { 9080: 19080 } });
    reviewsV2 = new Sidecar({ xdsPort, ip: ip(3), pod: 'reviews-v2', labels: { app: 'reviews', version: 'v2' }, appAddress: ip(3), appPorts: { 9080: 19080 } });
    await Promise.all([productpage.ready(), reviewsV2.ready()]);
  });

  after(async () => {
    await stopAll([productpage?.process, reviewsV2?.process]);
    await control?.stop();
    await Promise.all(apps.map((a) => a.close()));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('routes every request to reviews v1 (virtual-service-all-v1) and shows both proxies SYNCED', async () => {
    for (const headers of [{}, JASON]) {
      for (let i = 0; i < 5; i++) {
        const response = await viaProxy(productpage, REVIEWS, headers);
        assert.equal(response.status, 200, response.body);
        assert.equal(response.version, 'v1');
      }
    }
    await eventually(() => allSynced([productpage, reviewsV2]), 'both proxies SYNCED in /debug/syncz');
  });

  it('sends jason to v2 through its sidecar within a second of applying reviews-test-v2, without a failed request', async () => {
    const load = new SteadyLoad(productpage, REVIEWS, [{}, JASON]);
    await new Promise((r) => setTimeout(r, 300));
    const applied = load.now();
    assert.deepEqual(applyFiles(store, networking('virtual-service-reviews-test-v2.yaml')).formatted, []);
    await eventually(() => load.outcomes.some((o) => o.client === 1 && o.at > applied && o.version === 'v2'), 'jason reaching v2', 3000);
    await new Promise((r) => setTimeout(r, 300));
    await load.stop();

    assert.deepEqual(load.failures(), []);
    const jason = load.outcomes.filter((o) => o.client === 1);
    const lastV1 = Math.max(...jason.filter((o) => o.version === 'v1').map((o) => o.at));
    assert.ok(lastV1 - applied < 1000, `jason still reached v1 ${lastV1 - applied} ms after the change`);
    assert.ok(jason.filter((o) => o.at > applied + 1000).every((o) => o.version === 'v2'));
    const others = load.outcomes.filter((o) => o.client === 0);
    assert.ok(others.length > 20, `only ${others.length} requests without end-user`);
    assert.deepEqual(new Set(others.map((o) => o.version)), new Set(['v1']));
    // v2's app is only reachable through its sidecar's inbound listener (.3:9080 → .3:19080).
    const stats = await reviewsV2.stats();
    assert.ok((stats.get('cluster.inbound|9080||.upstream_rq_total') ?? 0) > 0, 'reviews-v2 sidecar forwarded inbound requests');
  });

  it('rejects an invalid VirtualService with file:line and leaves traffic as it was', async () => {
    const file = path.join(tmp, 'reviews-bad-regex.yaml');
    // Would send everyone to v3 if any of it were applied; line 13 has an invalid RE2 regex.
    writeFileSync(
      file,
      [
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata:',
        '  name: reviews',
        'spec:',
        '  hosts:',
        '  - reviews',
        '  http:',
        '  - match:',
        '    - headers:',
        '        end-user:',
        '          regex: "(jason"',
        '    route:',
        '    - destination:',
        '        host: reviews',
        '        subset: v3',
        '  - route:',
        '    - destination:',
        '        host: reviews',
        '        subset: v3',
        '',
      ].join('\n'),
    );
    const load = new SteadyLoad(productpage, REVIEWS, [{}, JASON]);
    const { errors, formatted } = applyFiles(store, file);
    await new Promise((r) => setTimeout(r, 500));
    await load.stop();

    assert.equal(errors.length, 1, formatted.join('\n'));
    assert.equal(errors[0]!.file, file);
    assert.equal(errors[0]!.line, 12);
    assert.match(formatted[0]!, /^Error \[IST\d+\] \(VirtualService default\/reviews .*reviews-bad-regex\.yaml:12\) .*regex/);
    assert.deepEqual(load.failures(), []);
    assert.deepEqual(new Set(load.outcomes.filter((o) => o.client === 0).map((o) => o.version)), new Set(['v1']));
    assert.deepEqual(new Set(load.outcomes.filter((o) => o.client === 1).map((o) => o.version)), new Set(['v2']));
  });

  it('keeps traffic flowing while the control plane is down, and reconverges when it restarts on the same port', async () => {
    const load = new SteadyLoad(productpage, REVIEWS, [{}, JASON]);
    await control!.stop();
    control = undefined;
    await new Promise((r) => setTimeout(r, 700));
    const whileDown = load.outcomes.length;
    assert.ok(whileDown > 20, `only ${whileDown} requests while the control plane was down`);

    const oldXdsPort = xdsPort;
    await startControlPlane({ xdsPort: oldXdsPort, monitoringPort });
    assert.equal(xdsPort, oldXdsPort);
    await eventually(() => allSynced([productpage, reviewsV2]), 'both proxies SYNCED with the restarted control plane', 8000);
    const applied = load.now();
    assert.deepEqual(applyFiles(store, networking('virtual-service-reviews-v3.yaml')).formatted, []);
    await eventually(
      () => [0, 1].every((client) => load.outcomes.some((o) => o.client === client && o.at > applied && o.version === 'v3')),
      'everyone reaching v3 after the restart',
      3000,
    );
    await load.stop();
    assert.deepEqual(load.failures(), []);
  });
});
