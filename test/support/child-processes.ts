/**
 * Child processes for end-to-end tests (`skein proxy`, `skein control`, helper scripts), with
 * their output kept for assertions and failure messages. Every child is recorded until it
 * exits, and the test process kills whatever is left when it exits, so a failed or timed-out
 * test never leaves a proxy running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** bin/skein.js of this checkout (tests run from dist/test/…). */
export const SKEIN_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/skein.js');

const live = new Set<ChildProcess>();
const killLive = (): void => {
  for (const child of live) child.kill('SIGKILL');
};
process.once('exit', killLive);
// A test process stopped by a signal runs no 'exit' handlers: kill the children, then die of the same signal.
for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killLive();
    process.kill(process.pid, signal);
  });
}

const MAX_OUTPUT = 256 * 1024;

export class TestProcess {
  readonly name: string;
  readonly child: ChildProcess;
  private out = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(name: string, command: string, args: readonly string[], env: Readonly<Record<string, string>> = {}) {
    this.name = name;
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.child);
    const keep = (chunk: Buffer) => {
      this.out += chunk.toString('utf8');
      if (this.out.length > MAX_OUTPUT) this.out = this.out.slice(-MAX_OUTPUT);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        resolve({ code, signal });
      });
      this.child.once('error', (err) => {
        live.delete(this.child);
        this.out += `spawn error: ${err.message}\n`;
        resolve({ code: 127, signal: null });
      });
    });
  }

  /** `node bin/skein.js …args`. */
  static skein(name: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): TestProcess {
    return new TestProcess(name, process.execPath, [SKEIN_BIN, ...args], env);
  }

  /** stdout and stderr interleaved as they arrived. */
  get output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the output matches (or rejects with the output so far). */
  async waitForOutput(pattern: RegExp, timeoutMs = 5000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.out);
      if (match) return match;
      if (!this.running) throw new Error(`${this.name} exited before printing ${pattern}:\n${this.out}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not print ${pattern} in ${timeoutMs} ms:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited. */
  async stop(graceMs = 3000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      try {
        return await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.exited;
  }
}

/** Stops every given process (in parallel); for `after` hooks. */
export async function stopAll(processes: readonly (TestProcess | undefined)[], graceMs = 3000): Promise<void> {
  await Promise.all(processes.map((p) => p?.stop(graceMs)));
}
