/**
 * The benchmark's handle on one simulated-proxy child process (xds-sim-clients.ts): JSON lines
 * over its stdin/stdout, each awaited event with a deadline, and a failure as soon as it exits.
 * Children share the benchmark process's process group and exit when their stdin closes, so a
 * group kill or the benchmark's own death takes them down too.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

type Waiter = { resolve: (event: Record<string, unknown>) => void; reject: (err: Error) => void };

export class SimProcess {
  private constructor(child: ChildProcess, label: string) {
    this.child = child;
    this.label = label;
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    child.on('exit', (code, signal) => {
      this.exited = true;
      const err = new Error(`${label} exited (${code ?? signal})`);
      for (const waiters of this.waiting.values()) for (const w of waiters) w.reject(err);
      this.waiting.clear();
    });
  }

  static start(label: string): SimProcess {
    const child = spawn(process.execPath, [path.join(here, 'xds-sim-clients.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
    live.add(child);
    child.on('exit', () => live.delete(child));
    return new SimProcess(child, label);
  }

  readonly label: string;
  private readonly child: ChildProcess;
  private readonly waiting = new Map<string, Waiter[]>();
  private readonly queued = new Map<string, Record<string, unknown>[]>();
  private exited = false;

  send(command: object): void {
    if (!this.exited) this.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  /** The next `event` line (or one that already arrived unclaimed), within `timeoutMs`. */
  next<T = Record<string, unknown>>(event: string, timeoutMs: number): Promise<T> {
    const early = this.queued.get(event)?.shift();
    if (early) return Promise.resolve(early as T);
    if (this.exited) return Promise.reject(new Error(`${this.label} has exited`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiting.get(event) ?? [];
        this.waiting.set(event, list.filter((w) => w !== waiter));
        reject(new Error(`${this.label}: no "${event}" within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const list = this.waiting.get(event) ?? [];
      list.push(waiter);
      this.waiting.set(event, list);
    });
  }

  /** Sends a command and waits for its answer. */
  async ask<T = Record<string, unknown>>(command: object, answer: string, timeoutMs = 30_000): Promise<T> {
    const reply = this.next<T>(answer, timeoutMs);
    this.send(command);
    return reply;
  }

  /** Asks it to exit; kills it if it has not within a second. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.send({ cmd: 'exit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 1000);
    await gone;
    clearTimeout(timer);
  }

  private onLine(line: string): void {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      process.stderr.write(`${this.label}: ${line}\n`);
      return;
    }
    const name = String(event['event']);
    const waiter = this.waiting.get(name)?.shift();
    if (waiter) waiter.resolve(event);
    else this.queued.set(name, [...(this.queued.get(name) ?? []), event]);
  }
}

const live = new Set<ChildProcess>();

/** Synchronous last resort (process 'exit'): kills every child still running. */
export function killSimProcesses(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}
