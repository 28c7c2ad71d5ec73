/**
 * The local runtime's workload lifecycle, seen from outside as a user would (`skein up`, the
 * mesh API, the apps' own logs): the app starts only once its sidecar is ready; a crashing app
 * restarts with exponential back-off and is out of the registry while it is down; a one-shot
 * job ends as Succeeded and takes its sidecar with it; on `skein down` the app stops while its
 * sidecar still serves, and nothing is left running. The workloads are a small Node script
 * (fixtures/lifecycle-app.ts) that logs what it saw.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { TestProcess } from '../support/child-processes.js';
import { MeshHarness, type MeshWorkload } from '../support/mesh-harness.js';
import { tempDir } from '../support/temp-dir.js';

const APP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/lifecycle-app.js');

interface AppEvent {
  readonly event: 'start' | 'crash' | 'sigterm' | 'exit';
  readonly at: number;
  readonly n?: number;
  readonly sidecarReady?: boolean;
  readonly sidecarStatus?: number;
  readonly receivedAt?: number;
  readonly code?: number;
}

describe('skein up: workload lifecycle', () => {
  const work = tempDir('skein-lifecycle-');
  const logOf = (workload: string) => path.join(work, `${workload}.jsonl`);
  const events = (workload: string): AppEvent[] =>
    readFileSync(logOf(workload), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as AppEvent);
  let mesh: MeshHarness;

  before(async () => {
    const meshFile = path.join(work, 'mesh.yaml');
    writeFileSync(meshFile, `apiVersion: skein.dev/v1alpha1
kind: Mesh
metadata:
  name: lifecycle
spec:
  workloads:
    - name: web
      labels: { app: web, version: v1 }
      command: [node, ${JSON.stringify(APP)}]
      env: { LIFECYCLE_LOG: ${JSON.stringify(logOf('web'))}, CRASH_ON_START: "2" }
      ports: [{ name: http, port: 9080 }]
      readinessPath: /health
    - name: job
      labels: { app: job }
      restartPolicy: Never
      command: [node, ${JSON.stringify(APP)}]
      env: { LIFECYCLE_LOG: ${JSON.stringify(logOf('job'))}, JOB_MS: "300" }
`);
    mesh = await MeshHarness.start({ file: meshFile });
  });

  after(async () => {
    await mesh?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('skein up refuses a broken mesh file, naming file:line and the field', async () => {
    const broken = path.join(work, 'broken.yaml');
    writeFileSync(broken, `apiVersion: skein.dev/v1alpha1
kind: Mesh
metadata: { name: broken }
spec:
  workloads:
    - name: web
      command: [node, app.js]
      restartPolicy: Sometimes
      ports: [{ name: http, port: 99999 }]
    - name: web
      command: node app.js
`);
    const up = TestProcess.skein('skein up broken', ['up', '-f', broken], { SKEIN_STATE_DIR: work });
    assert.deepEqual(await up.exited, { code: 1, signal: null });
    assert.deepEqual(up.output.trim().split('\n'), [
      `skein up: ${broken}:8: spec.workloads[0].restartPolicy: must be Always, OnFailure or Never`,
      `skein up: ${broken}:9: spec.workloads[0].ports[0].port: must be a port number (1-65535)`,
      `skein up: ${broken}:11: spec.workloads[1].command: must be a list`,
      `skein up: ${broken}:10: spec.workloads[1].name: duplicate workload 'web'`,
    ]);
  });

  it('starts each app only once its sidecar is ready, and registers it once the app is ready', async () => {
    const [first] = events('web');
    assert.deepEqual({ event: first?.event, n: first?.n, sidecarReady: first?.sidecarReady }, { event: 'start', n: 1, sidecarReady: true });
    assert.equal(events('job')[0]?.sidecarReady, true);
    const web = await mesh.workload('web');
    assert.deepEqual([web.phase, web.restarts], ['Running', 0]);
    assert.deepEqual(await mesh.endpoints('web'), [`${web.address}:9080`]);
    // Inbound goes through the sidecar on the service port to the app.
    const response = await fetch(`http://${web.address}:9080/`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'ok\n');
  });

  it('a one-shot job (restartPolicy Never) ends as Succeeded and its sidecar stops', async () => {
    const job = await mesh.workload('job');
    assert.deepEqual([job.phase, job.restarts], ['Succeeded', 0]);
    assert.deepEqual(events('job').map((e) => [e.event, e.code ?? null, e.sidecarStatus ?? null]), [['start', null, null], ['exit', 0, 200]]);
    await mesh.waitFor('the job sidecar to exit', () => !mesh.processes().some((p) => p.includes(`--admin-address ${job.address} `)), 10_000);
    await assert.rejects(fetch(`http://${job.address}:15000/ready`, { signal: AbortSignal.timeout(1000) }), 'its admin no longer answers');
  });

  it('a crashing app restarts with exponential back-off, out of the registry while down', async () => {
    const address = mesh.addresses.get('web');
    // Phase and endpoints together: a sample counts only when the phase did not change around the services read.
    const observed: { phase: string; restarts: number; endpoints: number }[] = [];
    const sample = async () => {
      const before = await mesh.workload('web');
      const endpoints = await mesh.endpoints('web');
      const after = await mesh.workload('web');
      if (before.phase === after.phase && before.restarts === after.restarts) observed.push({ phase: after.phase, restarts: after.restarts, endpoints: endpoints.length });
      return after;
    };
    await fetch(`http://${address}:9080/crash`).then((r) => r.text()).catch(() => '');
    let web: MeshWorkload | undefined;
    await mesh.waitFor('web back after two crashes', async () => {
      web = await sample();
      return web.phase === 'Running' && web.restarts === 2;
    }, 20_000);
    assert.deepEqual(await mesh.endpoints('web'), [`${address}:9080`]);

    const inBackOff = observed.filter((o) => o.phase === 'CrashLoopBackOff');
    assert.deepEqual([...new Set(inBackOff.map((o) => o.restarts))], [1, 2], 'CrashLoopBackOff after each crash');
    const wrong = observed.filter((o) => (o.phase === 'Running') !== (o.endpoints === 1));
    assert.deepEqual(wrong, [], 'an endpoint exactly while Running');

    // Back-off doubles: 1 s after the first crash, 2 s after the second.
    const log = events('web');
    const at = (event: string, n: number) => log.find((e) => e.event === event && e.n === n)?.at ?? Number.NaN;
    const firstWait = at('start', 2) - at('crash', 1);
    const secondWait = at('start', 3) - at('crash', 2);
    assert.ok(firstWait >= 950 && firstWait < 3000, `restarted ${firstWait} ms after the first crash`);
    assert.ok(secondWait >= 1950 && secondWait < 4500, `restarted ${secondWait} ms after the second crash`);
    assert.ok(log.filter((e) => e.event === 'start').every((e) => e.sidecarReady), 'every restart found its sidecar ready');
  });

  it('skein down stops the app while its sidecar still serves, then the sidecar, and leaves nothing running', async () => {
    await mesh.down();
    const log = events('web');
    const sigterm = log.find((e) => e.event === 'sigterm');
    const exit = log.at(-1);
    assert.equal(sigterm?.sidecarStatus, 200, 'the sidecar was ready when the app got SIGTERM');
    assert.deepEqual([exit?.event, exit?.code, exit?.sidecarStatus], ['exit', 0, 200], 'and still ready as the app exited');
    const output = mesh.up.output;
    const appStopped = output.search(/\[web\s*\] lifecycle-app: SIGTERM/);
    const sidecarStopped = output.search(/\[web\/proxy\s*\] skein proxy: SIGTERM/);
    assert.ok(appStopped >= 0 && sidecarStopped > appStopped, 'the app was stopped before its sidecar');
  });
});
