/**
 * How much CPU something other than the benchmark used during a measurement.
 *
 * This machine is shared (other sessions build and test on it), so every measurement records
 * foreign load = all CPU busy time (/proc/stat) − the benchmark's own: the harness process
 * with its reaped children (wrk, the load generator: cutime/cstime), the origin's and the
 * SUT's process groups. Interrupt and softirq time not charged to a process lands in
 * "foreign" too, so a quiet machine still shows a few percent of a core.
 */
import { readFileSync } from 'node:fs';
import { clockTicks, groupCpuSeconds } from './resources.js';

function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return (
    ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / clockTicks()
  );
}

function selfAndChildrenSeconds(): number {
  const text = readFileSync('/proc/self/stat', 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return ticks / clockTicks();
}

function ownSeconds(pgids: readonly number[]): number {
  return selfAndChildrenSeconds() + pgids.reduce((sum, pgid) => sum + groupCpuSeconds(pgid), 0);
}

/** Starts a window; the result gives foreign load over it in cores (1 = one core fully busy). */
export function startForeignLoadWindow(pgids: readonly number[]): () => number {
  const busy0 = machineBusySeconds();
  const own0 = ownSeconds(pgids);
  const t0 = process.hrtime.bigint();
  return () => {
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const foreign = machineBusySeconds() - busy0 - (ownSeconds(pgids) - own0);
    return wall > 0 ? Math.max(0, foreign / wall) : 0;
  };
}
