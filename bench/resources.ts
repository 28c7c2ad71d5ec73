/**
 * CPU time and memory of a process group, read from /proc without sampling in between
 * (a read at the start and one at the end of a run, so the harness itself stays idle).
 *
 * CPU is utime+stime of every process whose process group is the SUT's (nginx master and
 * worker; every thread is already inside its process's figures). Memory is the sum of VmRSS
 * and of VmHWM over the same processes.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | null = null;

export function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface ProcStat {
  pid: number;
  pgrp: number;
  cpuTicks: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is state (field 3 of proc(5)); pgrp is field 5, utime 14, stime 15.
  return { pid, pgrp: Number(fields[2]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

/** Pids in process group `pgid` (the group leader included while it lives). */
export function groupPids(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat && stat.pgrp === pgid) pids.push(pid);
  }
  return pids;
}

/** CPU seconds (user + system) used so far by the group. */
export function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const pid of groupPids(pgid)) ticks += readStat(pid)?.cpuTicks ?? 0;
  return ticks / clockTicks();
}

export interface MemorySample {
  /** Bytes, summed over the group's processes. */
  rss: number;
  /** Peak RSS (VmHWM) in bytes, summed over the group's processes. */
  hwm: number;
  processes: number;
}

function statusKb(text: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

export function groupMemory(pgid: number): MemorySample {
  const sample: MemorySample = { rss: 0, hwm: 0, processes: 0 };
  for (const pid of groupPids(pgid)) {
    try {
      const text = readFileSync(`/proc/${pid}/status`, 'utf8');
      sample.rss += statusKb(text, 'VmRSS') * 1024;
      sample.hwm += statusKb(text, 'VmHWM') * 1024;
      sample.processes += 1;
    } catch {
      // exited between listing and reading
    }
  }
  return sample;
}

export interface CpuWindow {
  cpuSeconds: number;
  wallSeconds: number;
}

/** Starts a CPU measurement of a group; call the result to close the window. */
export function startCpuWindow(pgid: number): () => CpuWindow {
  const cpu0 = groupCpuSeconds(pgid);
  const t0 = process.hrtime.bigint();
  return () => ({
    cpuSeconds: groupCpuSeconds(pgid) - cpu0,
    wallSeconds: Number(process.hrtime.bigint() - t0) / 1e9,
  });
}

/** vCPU per 1000 rps = (CPU s / wall s) / (rps / 1000), Istio's resource unit. */
export function cpuPer1000Rps(window: CpuWindow, rps: number): number | null {
  if (window.wallSeconds <= 0 || rps <= 0) return null;
  return window.cpuSeconds / window.wallSeconds / (rps / 1000);
}
