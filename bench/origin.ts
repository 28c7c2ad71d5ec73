/**
 * The origin every path ends at: nginx, one worker, `return 200` with fixed bodies
 * (0 B and 1 KB, see workload.ts), pinned to core 0 next to the load generator (topology T).
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { originConfig } from './nginx-config.js';
import { freePort, type ManagedProcess, makeTempDir, spawnPinned, waitUntilReady } from './processes.js';

export const LOADGEN_CORE = 0;
export const SUT_CORE = 1;

export interface Origin {
  port: number;
  proc: ManagedProcess;
}

export async function startOrigin(): Promise<Origin> {
  const dir = makeTempDir('origin');
  // nginx workers drop to `nobody` when started as root; let them traverse the dir.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, originConfig(dir, port));
  const proc = spawnPinned(
    LOADGEN_CORE,
    'nginx',
    ['-e', path.join(dir, 'error.log'), '-p', dir, '-c', conf],
    path.join(dir, 'out.log'),
  );
  await waitUntilReady(proc, { port });
  return { port, proc };
}
