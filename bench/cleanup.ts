/**
 * Everything the harness starts or creates is registered here, so that it is removed on a
 * normal end, on an error and on Ctrl-C alike. Children are started as leaders of their own
 * process group, so killing the group reaches their workers (nginx) and nothing else.
 */
import { rmSync } from 'node:fs';

const groups = new Set<number>();
const dirs = new Set<string>();

export function trackGroup(pid: number): void {
  groups.add(pid);
}

export function untrackGroup(pid: number): void {
  groups.delete(pid);
}

export function trackDir(dir: string): void {
  dirs.add(dir);
}

/** Sends `signal` to a process group we started; false if it is already gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Synchronous last resort: kills every tracked group and removes every temp dir. */
export function cleanupNow(): void {
  for (const pid of groups) signalGroup(pid, 'SIGKILL');
  groups.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

let installed = false;

/** Cleans up on exit and turns SIGINT/SIGTERM into a clean exit. */
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping children and removing temp dirs\n`);
      cleanupNow();
      process.exit(130);
    });
  }
}
