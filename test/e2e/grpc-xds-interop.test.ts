/**
 * Interop with a real xDS client no one here wrote: the proxyless gRPC client of
 * @grpc/grpc-js-xds, bootstrapped at our control plane (node metadata GENERATOR=grpc, as Istio's
 * agent writes it for proxyless workloads), calls `xds:///echo.default.svc.cluster.local:50051`
 * served by two real gRPC servers registered as the v1 and v2 workloads of one service. A
 * VirtualService + DestinationRule split 80/20 between the subsets, and send `x-user: jason` to v2.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { MemoryConfigStore } from '../../src/config/store/memory-store.js';
import { ControlPlane } from '../../src/control/control-plane.js';
import { proxyNodeId } from '../../src/model/proxy.js';
import { MemoryRegistry } from '../../src/registry/memory-registry.js';
import { TestProcess } from '../support/child-processes.js';
import { loopbackSubnet } from '../support/loopback.js';
import { applyFiles, kubeService, workload } from '../support/mesh-fixtures.js';
import { tempDir } from '../support/temp-dir.js';
import { startEchoServer } from './echo-service.js';

const CLIENT_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'grpc-xds-client.js');
const TARGET = 'xds:///echo.default.svc.cluster.local:50051';
const SPLIT_CALLS = 200;

const ROUTING = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: echo
spec:
  host: echo
  subsets:
  - name: v1
    labels:
      version: v1
  - name: v2
    labels:
      version: v2
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: echo
spec:
  hosts:
  - echo
  http:
  - match:
    - headers:
        x-user:
          exact: jason
    route:
    - destination:
        host: echo
        subset: v2
  - route:
    - destination:
        host: echo
        subset: v1
      weight: 80
    - destination:
        host: echo
        subset: v2
      weight: 20
`;

interface Outcome {
  readonly versions: Record<string, number>;
  readonly errors: string[];
}

describe('grpc-js-xds proxyless client against the control plane', () => {
  const ip = loopbackSubnet();
  const store = new MemoryConfigStore();
  const registry = new MemoryRegistry('Kubernetes');
  const tmp = tempDir('skein-grpc-xds-');
  const servers: Awaited<ReturnType<typeof startEchoServer>>[] = [];
  let control: ControlPlane;
  let xdsPort = 0;
  let results: Record<string, Outcome>;
  let clientOutput = '';

  before(async () => {
    const v1 = await startEchoServer(ip(2), 'v1');
    const v2 = await startEchoServer(ip(3), 'v2');
    servers.push(v1, v2);
    registry.batch(() => {
      registry.addService(kubeService('echo', { grpc: 50051 }));
      registry.addWorkload(workload('echo-v1', ip(2), { app: 'echo', version: 'v1' }, { grpc: v1.port }));
      registry.addWorkload(workload('echo-v2', ip(3), { app: 'echo', version: 'v2' }, { grpc: v2.port }));
    });
    const file = path.join(tmp, 'echo-routing.yaml');
    writeFileSync(file, ROUTING);
    assert.deepEqual(applyFiles(store, file).formatted, []);
    control = new ControlPlane({ store, registries: [registry], xds: { debounceAfterMs: 10, debounceMaxMs: 100 } });
    ({ xdsPort } = await control.listen({ xdsPort: 0, monitoringPort: 0 }));

    // A gRPC xDS bootstrap as Istio's agent writes it for proxyless workloads (GENERATOR: grpc).
    const bootstrap = path.join(tmp, 'grpc-bootstrap.json');
    writeFileSync(
      bootstrap,
      JSON.stringify({
        xds_servers: [{ server_uri: `127.0.0.1:${xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
        node: {
          id: proxyNodeId('sidecar', ip(1), 'echo-client', 'default'),
          metadata: { GENERATOR: 'grpc', NAMESPACE: 'default', INSTANCE_IPS: ip(1), LABELS: { app: 'echo-client' } },
          locality: {},
        },
      }),
    );
    const scenarios = [
      { name: 'split', calls: SPLIT_CALLS, metadata: {} },
      { name: 'jason', calls: 50, metadata: { 'x-user': 'jason' } },
    ];
    const client = new TestProcess('grpc-xds-client', process.execPath, [CLIENT_SCRIPT, JSON.stringify({ target: TARGET, scenarios })], {
      GRPC_XDS_BOOTSTRAP: bootstrap,
      GRPC_TRACE: 'xds_client,xds_resolver,cds_balancer',
      GRPC_VERBOSITY: 'DEBUG',
    });
    const timer = setTimeout(() => void client.stop(0), 15_000);
    const exit = await client.exited;
    clearTimeout(timer);
    clientOutput = client.output;
    const line = clientOutput.split('\n').find((l) => l.startsWith('{"'));
    assert.ok(exit.code === 0 && line, `the gRPC client failed (${JSON.stringify(exit)}); its xDS trace:\n${clientOutput.slice(-20_000)}`);
    results = JSON.parse(line) as Record<string, Outcome>;
  });

  after(async () => {
    await control?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(tmp, { recursive: true, force: true });
  });

  const trace = () => `client's xDS trace (tail):\n${clientOutput.slice(-8000)}`;

  it('splits calls 80/20 between the v1 and v2 subsets, within binomial tolerance', () => {
    const split = results.split!;
    assert.deepEqual(split.errors, [], trace());
    const v1 = split.versions.v1 ?? 0;
    const v2 = split.versions.v2 ?? 0;
    assert.equal(v1 + v2, SPLIT_CALLS, JSON.stringify(split.versions));
    // v2 ~ Binomial(200, 0.2): mean 40, sd 5.66; ±4.5 sd fails a correct split about once in 150,000 runs.
    const sd = Math.sqrt(SPLIT_CALLS * 0.2 * 0.8);
    assert.ok(Math.abs(v2 - SPLIT_CALLS * 0.2) <= 4.5 * sd, `v2 got ${v2} of ${SPLIT_CALLS} calls`);
  });

  it('sends every call with x-user: jason to v2', () => {
    const jason = results.jason!;
    assert.deepEqual(jason.errors, [], trace());
    assert.deepEqual(jason.versions, { v2: 50 });
  });
});
