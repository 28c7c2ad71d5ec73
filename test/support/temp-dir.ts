/**
 * Temporary directories for tests, removed with their contents when the test process exits,
 * whether the test passed, failed or threw in `before`. The 'exit' hook runs after every
 * `after` hook, so the children that wrote into a directory have been stopped by then.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const created: string[] = [];
let hooked = false;

function removeAll(): void {
  for (const dir of created) {
    try {
      // ENOTEMPTY is retried: a child killed by another exit hook may still be finishing a write.
      rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });
    } catch {
      // An exit hook must not throw: a leftover directory is better than a failed test run.
    }
  }
}

/** A new, empty directory `<os.tmpdir()>/<prefix>XXXXXX`, removed when this process exits. */
export function tempDir(prefix: string): string {
  // Registered on first use, i.e. after the module-level exit hooks of the other support files
  // (child-processes.ts, mesh-harness.ts), so their processes are killed before this removal.
  if (!hooked) {
    hooked = true;
    process.once('exit', removeAll);
  }
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}
