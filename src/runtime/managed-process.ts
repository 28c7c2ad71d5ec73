/**
 * A child process the local runtime owns: started with its own environment, its output
 * streamed line by line with a prefix (`[reviews-v2] ...`), and stopped politely (SIGTERM, then
 * SIGKILL after a grace period). It never outlives the runtime: children are spawned in their
 * own process group and killed as a group, so a shell wrapper cannot leave its child behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Wraps every child so it dies with the runtime, even when the runtime is SIGKILLed (see child-guard.ts). */
const CHILD_GUARD = fileURLToPath(new URL('./child-guard.js', import.meta.url));

export interface ProcessSpec {
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

export type ExitInfo = { readonly code: number | null; readonly signal: NodeJS.Signals | null };

export interface LogSink {
  line(prefix: string, text: string, stream: 'stdout' | 'stderr'): void;
}

export class ManagedProcess {
  readonly name: string;
  private readonly spec: ProcessSpec;
  private readonly logs: LogSink;
  private child: ChildProcess | undefined;
  private exited: Promise<ExitInfo> | undefined;

  constructor(name: string, spec: ProcessSpec, logs: LogSink) {
    this.name = name;
    this.spec = spec;
    this.logs = logs;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process; `onExit` hears about every exit, expected or not. */
  start(onExit: (info: ExitInfo) => void): void {
    if (this.spec.command.length === 0) throw new Error(`${this.name}: empty command`);
    const child = spawn(process.execPath, [CHILD_GUARD, ...this.spec.command], {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env },
      // stdin: a pipe we never write; its closing tells the guard the runtime is gone.
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group: stop() reaches grandchildren too
    });
    this.child = child;
    this.pipe(child.stdout, 'stdout');
    this.pipe(child.stderr, 'stderr');
    this.exited = new Promise((resolve) => {
      child.once('error', (err) => {
        this.logs.line(this.name, `failed to start: ${err.message}`, 'stderr');
        resolve({ code: 127, signal: null });
      });
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    void this.exited.then(onExit);
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(graceMs: number): Promise<ExitInfo | undefined> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) return undefined;
    if (!this.running) return exited;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Immediate SIGKILL to the whole group (runtime crash paths). */
  kill(): void {
    if (this.running) this.signal('SIGKILL');
  }

  private signal(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  }

  private pipe(stream: NodeJS.ReadableStream | null, kind: 'stdout' | 'stderr'): void {
    if (!stream) return;
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => this.logs.line(this.name, line, kind));
  }
}
