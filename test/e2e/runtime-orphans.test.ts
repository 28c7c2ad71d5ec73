/**
 * A runtime killed outright (SIGKILL, OOM killer, a closed laptop terminal's hard kill) cannot
 * stop its workloads itself; every workload process is wrapped in a guard that notices the
 * runtime is gone and stops its process group, so nothing keeps running on the machine.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { MeshHarness, meshProcesses } from '../support/mesh-harness.js';
import { tempDir } from '../support/temp-dir.js';

const APP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/lifecycle-app.js');

describe('skein up killed with SIGKILL', () => {
  it('takes every sidecar, gateway and app down with it', async () => {
    const work = tempDir('skein-orphans-');
    const meshFile = path.join(work, 'mesh.yaml');
    writeFileSync(meshFile, `apiVersion: skein.dev/v1alpha1
kind: Mesh
metadata:
  name: orphans
spec:
  workloads:
    - name: web
      labels: { app: web, version: v1 }
      command: [node, ${JSON.stringify(APP)}]
      env: { LIFECYCLE_LOG: ${JSON.stringify(path.join(work, 'web.jsonl'))} }
      ports: [{ name: http, port: 9080 }]
      readinessPath: /health
`);
    const mesh = await MeshHarness.start({ file: meshFile });
    try {
      const running = meshProcesses(mesh.dir).filter((pid) => pid !== mesh.up.child.pid);
      assert.ok(running.length >= 2, `a sidecar and an app are running: ${mesh.processes().join('; ')}`);
      mesh.up.child.kill('SIGKILL');
      const deadline = Date.now() + 10_000;
      while (meshProcesses(mesh.dir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(mesh.processes(), [], 'workload processes outlived the runtime');
    } finally {
      await mesh.close();
    }
  });
});
