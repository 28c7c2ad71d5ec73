/**
 * Precise wake-ups for the load generator's schedule.
 *
 * Node's timers have whole-millisecond resolution and fire at an arbitrary phase, which at
 * 1000 rps adds a uniform 0–1 ms to every intended send. A worker thread instead sleeps with
 * `Atomics.wait` (a timed condition wait, tens of µs precise) until each due time and posts a
 * message, which wakes the main event loop in a few tens of µs. At high rates the worker
 * batches: it wakes at most once per `minGapNs` and the main thread sends all that is due.
 */
import { Worker } from 'node:worker_threads';

export interface TickerOptions {
  /** The clock's zero as an absolute `process.hrtime.bigint()` value. */
  baseNs: bigint;
  /** Due time of tick 0, ns after base. */
  t0Ns: number;
  periodNs: number;
  count: number;
  minGapNs: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { baseNs, t0Ns, periodNs, count, minGapNs } = workerData;
const base = BigInt(baseNs);
const cell = new Int32Array(new SharedArrayBuffer(4));
const now = () => Number(process.hrtime.bigint() - base);
let i = 0;
while (count > 0) {
  const due = t0Ns + i * periodNs;
  const wait = due - now();
  if (wait > 0) Atomics.wait(cell, 0, 0, wait / 1e6);
  parentPort.postMessage(0);
  if (i >= count - 1) break;
  // Skip the ticks due within the gap (they are sent on this wake), but never the last one.
  const t = now() + minGapNs;
  i = Math.min(count - 1, Math.max(i + 1, Math.ceil((t - t0Ns) / periodNs)));
}
`;

export interface Ticker {
  stop(): Promise<void>;
}

export function startTicker(options: TickerOptions, onTick: () => void): Ticker {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { ...options, baseNs: options.baseNs.toString() },
  });
  worker.on('message', onTick);
  worker.on('error', (err) => {
    process.stderr.write(`loadgen ticker: ${err.message}\n`);
  });
  return {
    stop: async () => {
      await worker.terminate();
    },
  };
}
