/**
 * Time for the upstream's periodic work (outlier detection sweeps, health check intervals), as
 * Envoy's dispatcher timers and TimeSource: injectable so tests drive it with a manual clock.
 */
import { performance } from 'node:perf_hooks';

export interface TimerHandle {
  cancel(): void;
}

export interface Scheduler {
  /** Monotonic milliseconds. */
  now(): number;
  /** Runs `fn` once after `delayMs`; the timer never keeps the process alive. */
  schedule(delayMs: number, fn: () => void): TimerHandle;
}

export const realScheduler: Scheduler = {
  now: () => performance.now(),
  schedule(delayMs, fn) {
    const timer = setTimeout(fn, delayMs);
    timer.unref?.();
    return { cancel: () => clearTimeout(timer) };
  },
};
