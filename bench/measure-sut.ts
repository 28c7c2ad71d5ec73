/**
 * One repetition for one system under test: start it, check it routes, false start, the
 * fixed-rate latency run, then the max-throughput runs, reading its CPU and memory around
 * each, and stop it. The fixed-rate run comes first so that its RSS is not inflated by the
 * saturation runs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { runLoadgen } from './loadgen-process.js';
import { type SutId, startSut, SutUnavailable } from './peers.js';
import type { Plan } from './plan.js';
import { checkRoute } from './probe.js';
import { groupMemory, startCpuWindow } from './resources.js';
import type { FixedRateRun, WrkRun } from './results-model.js';
import { runWrk } from './wrk.js';

export interface SutRepetition {
  idleRss: number | null;
  peakRss: number | null;
  processes: number | null;
  fixed: FixedRateRun;
  wrk: WrkRun[];
}

export async function measureSut(
  id: SutId,
  originPort: number,
  plan: Plan,
  repetition: number,
  log: (line: string) => void,
): Promise<SutRepetition> {
  const sut = await startSut(id, originPort);
  try {
    const pgid = sut.proc?.pid ?? null;
    await sleep(500);
    const idle = pgid === null ? null : groupMemory(pgid);
    const routeProblem = await checkRoute(sut.port, plan.fixedPayload);
    if (routeProblem) throw new SutUnavailable(`routing check failed: ${routeProblem}`);

    await runWrk(sut.port, plan.fixedPayload.path, 16, plan.falseStartSeconds);

    log(`${id} #${repetition}: ${plan.fixedRate} rps open loop, ${plan.fixedWarmupSeconds}+${plan.fixedSeconds} s`);
    const fixedCpu = pgid === null ? null : startCpuWindow(pgid);
    const result = await runLoadgen({
      host: '127.0.0.1',
      port: sut.port,
      path: plan.fixedPayload.path,
      rate: plan.fixedRate,
      warmupSeconds: plan.fixedWarmupSeconds,
      durationSeconds: plan.fixedSeconds,
      connections: plan.fixedConnections,
      maxOutstanding: plan.maxOutstanding,
      drainSeconds: 5,
    });
    const fixedWindow = fixedCpu?.();
    const fixed: FixedRateRun = {
      repetition,
      latency: result.latency,
      service: result.service,
      sendLag: result.sendLag,
      counts: result.counts,
      achievedRps: result.achievedRps,
      generatorCpu: result.generatorCpu,
      cpuPer1000Rps: fixedWindow ? (fixedWindow.cpuSeconds * 1000) / Math.max(1, result.totalCompleted) : null,
      rssAfter: pgid === null ? null : groupMemory(pgid).rss,
    };

    const wrk: WrkRun[] = [];
    for (const c of plan.wrkCases) {
      log(`${id} #${repetition}: wrk -t1 -c${c.connections} -d${plan.wrkSeconds}s, ${c.payload.label}`);
      const window = pgid === null ? null : startCpuWindow(pgid);
      const r = await runWrk(sut.port, c.payload.path, c.connections, plan.wrkSeconds);
      const w = window?.();
      wrk.push({
        repetition,
        payload: c.payload.label,
        connections: c.connections,
        rps: r.rps,
        non2xx: r.non2xx,
        socketErrors: r.socketErrors,
        cpuPer1000Rps: w ? (w.cpuSeconds * 1000) / Math.max(1, r.requests) : null,
      });
    }
    const end = pgid === null ? null : groupMemory(pgid);
    return {
      idleRss: idle?.rss ?? null,
      peakRss: end?.hwm ?? null,
      processes: end?.processes ?? null,
      fixed,
      wrk,
    };
  } finally {
    await sut.stop();
  }
}
