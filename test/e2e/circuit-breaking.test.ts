/**
 * Istio's "Circuit Breaking" task (istio.io/latest/docs/tasks/traffic-management/circuit-breaking/)
 * from its DestinationRule YAML: a slow httpbin behind `httpbin:8000`, concurrent requests from a
 * client through its sidecar. With one connection and one pending request allowed, the rest
 * overflow: 503 with Envoy's overflow reply (flag UO) and `upstream_rq_pending_overflow` on the
 * client sidecar's `outbound|8000||httpbin.default.svc.cluster.local` cluster counting each.
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
import { loopbackSubnet } from '../support/loopback.js';
import { applyFiles, kubeService, workload } from '../support/mesh-fixtures.js';
import { eventually, type ProxiedResponse, startVersionServer, type VersionServer, viaProxy } from '../support/mesh-http.js';
import { Sidecar } from '../support/sidecar.js';
import { tempDir } from '../support/temp-dir.js';

const CLUSTER = 'outbound|8000||httpbin.default.svc.cluster.local';
const OVERFLOW_STAT = `cluster.${CLUSTER}.upstream_rq_pending_overflow`;
const CONCURRENT = 8;

/** The task's DestinationRule, verbatim. */
const DESTINATION_RULE = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 1
      http:
        http1MaxPendingRequests: 1
        maxRequestsPerConnection: 1
    outlierDetection:
      consecutive5xxErrors: 1
      interval: 1s
      baseEjectionTime: 3m
      maxEjectionPercent: 100
`;

describe('circuit breaking from the Istio task DestinationRule', () => {
  const ip = loopbackSubnet();
  const store = new MemoryConfigStore();
  const registry = new MemoryRegistry('Kubernetes');
  const tmp = tempDir('skein-cb-');
  let control: ControlPlane;
  let monitoringPort = 0;
  let httpbin: VersionServer;
  let client: Sidecar;

  /** CONCURRENT requests at once, each on its own connection (fortio -c N). */
  const burst = (): Promise<ProxiedResponse[]> =>
    Promise.all(Array.from({ length: CONCURRENT }, () => viaProxy(client, 'http://httpbin:8000/get')));

  const cdsAcked = async (): Promise<string | undefined> => {
    const statuses = (await (await fetch(`http://127.0.0.1:${monitoringPort}/debug/syncz`)).json()) as ProxySyncStatus[];
    const cds = statuses.find((s) => s.proxy === client.proxyId)?.types.cds;
    return cds?.status === 'SYNCED' ? cds.version_acked : undefined;
  };

  before(async () => {
    httpbin = await startVersionServer(ip(2), 8000, 'httpbin', 300);
    registry.batch(() => {
      registry.addService(kubeService('httpbin', { http: 8000 }));
      registry.addService(kubeService('fortio', { 'http-fortio': 8080 }));
      registry.addWorkload(workload('httpbin-v1', ip(2), { app: 'httpbin', version: 'v1' }));
      registry.addWorkload(workload('fortio-deploy', ip(1), { app: 'fortio' }));
    });
    control = new ControlPlane({ store, registries: [registry], xds: { debounceAfterMs: 10, debounceMaxMs: 100 } });
    const ports = await control.listen({ xdsPort: 0, monitoringPort: 0 });
    monitoringPort = ports.monitoringPort;
    client = new Sidecar({ xdsPort: ports.xdsPort, ip: ip(1), pod: 'fortio-deploy', labels: { app: 'fortio' }, appPorts: { 8080: 18080 } });
    await client.ready();
  });

  after(async () => {
    await stopAll([client?.process]);
    await control?.stop();
    await httpbin?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('without the DestinationRule, every concurrent request succeeds', async () => {
    const responses = await burst();
    assert.deepEqual(responses.map((r) => r.status), Array<number>(CONCURRENT).fill(200));
  });

  it('with it, the requests beyond one connection and one pending overflow: 503 UO, counted in upstream_rq_pending_overflow', async () => {
    const file = path.join(tmp, 'destination-rule-httpbin.yaml');
    writeFileSync(file, DESTINATION_RULE);
    const before = await cdsAcked();
    assert.deepEqual(applyFiles(store, file).formatted, []);
    await eventually(async () => ((await cdsAcked()) ?? before) !== before, 'the client sidecar ACKing the new clusters');
    // The replacement cluster takes over once warmed (EDS): wait for the first overflow.
    await eventually(async () => (await burst()).some((r) => r.status === 503), 'circuit breaking to take effect');

    const overflowBefore = (await client.stats()).get(OVERFLOW_STAT) ?? 0;
    const responses = await burst();
    const overflowAfter = (await client.stats()).get(OVERFLOW_STAT) ?? 0;

    const ok = responses.filter((r) => r.status === 200);
    const rejected = responses.filter((r) => r.status === 503);
    assert.equal(ok.length + rejected.length, CONCURRENT, JSON.stringify(responses.map((r) => [r.status, r.body])));
    assert.ok(ok.length >= 1 && ok.length <= 2, `${ok.length} requests got through; one connection plus one pending request allowed`);
    for (const r of rejected) {
      assert.equal(r.body, 'upstream connect error or disconnect/reset before headers. reset reason: overflow');
      assert.equal(r.headers['x-envoy-overloaded'], 'true');
    }
    assert.equal(overflowAfter - overflowBefore, rejected.length);
  });
});
