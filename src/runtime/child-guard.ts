/**
 * `node child-guard.js <command...>`: runs one workload process for the local runtime and makes
 * sure it never outlives the runtime. The runtime holds the guard's stdin open and never writes
 * to it; when the runtime dies — even by SIGKILL, which it cannot intercept — the pipe closes,
 * and the guard stops its whole process group (SIGTERM, then SIGKILL after a grace period).
 *
 * Signals from the runtime go to the group, so the command receives them directly; the guard
 * only waits for it and exits as it did (same code, or the same signal).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';

const GRACE_MS = 5000;

function main(argv: readonly string[]): void {
  const [file, ...args] = argv;
  if (!file) {
    process.stderr.write('child-guard: no command\n');
    process.exit(2);
  }
  const child = spawn(file, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  // Our group's SIGTERM/SIGINT reach the command too; the guard just waits for it.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => {});
  child.on('error', (err) => {
    process.stderr.write(`failed to start: ${err.message}\n`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die the same way, so the runtime sees the command's signal, not a code.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 100).unref();
      return;
    }
    process.exit(code ?? 1);
  });
  const orphaned = () => {
    // The runtime is gone: nobody else will ever stop this workload.
    signalGroup(child, 'SIGTERM');
    setTimeout(() => signalGroup(child, 'SIGKILL'), GRACE_MS).unref();
  };
  process.stdin.on('end', orphaned);
  process.stdin.on('error', orphaned);
  process.stdin.resume();
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-process.pid, signal);
  } catch {
    // Not a group leader (started by hand): signal the command alone.
    child.kill(signal);
  }
}

main(process.argv.slice(2));
