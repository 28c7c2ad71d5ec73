import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LogSink, ManagedProcess } from './managed-process.js';
import type { WorkloadSpec } from './mesh-file.js';
import { type RunningWorkload, WorkloadRunner } from './workload-runner.js';

const logs: LogSink = { line: () => undefined };

const spec: WorkloadSpec = {
  name: 'web',
  namespace: 'default',
  kind: 'app',
  labels: { app: 'web' },
  serviceAccount: 'default',
  command: ['node', 'web.js'],
  env: {},
  ports: [{ name: 'http', port: 9080 }],
  restartPolicy: 'Always',
  readinessPath: undefined,
  address: undefined,
};

function node(name: string, script: string): ManagedProcess {
  return new ManagedProcess(name, { command: [process.execPath, '-e', script], env: {}, cwd: '/' }, logs);
}

describe('WorkloadRunner', () => {
  it('a sidecar that exits while starting fails the workload at once, and its app never starts', async () => {
    const state: RunningWorkload = {
      spec,
      address: '127.0.0.1',
      adminPort: 1, // nothing answers there
      appAddress: '127.0.0.1',
      appPorts: new Map([[9080, 19080]]),
      phase: 'Pending',
      restarts: 0,
    };
    const phases: string[] = [];
    let appsStarted = 0;
    const runner = new WorkloadRunner(
      state,
      {
        register: () => assert.fail('registered a workload without a sidecar'),
        deregister: () => undefined,
        sidecar: () => node('web/proxy', 'process.exit(2)'),
        app: () => {
          appsStarted++;
          return node('web', 'setTimeout(() => {}, 10000)');
        },
        phase: (w) => phases.push(w.phase),
      },
      logs,
    );
    const started = Date.now();
    await runner.start();
    assert.ok(Date.now() - started < 5000, `start() took ${Date.now() - started} ms`);
    assert.deepEqual(phases, ['StartingSidecar', 'Failed']);
    assert.equal(appsStarted, 0);
    await runner.stop();
  });
});
