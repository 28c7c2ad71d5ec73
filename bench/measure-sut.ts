/**
 * One repetition for one system under test: start it, check it routes, false start, the
 * fixed-rate latency run, then the max-throughput runs, reading its CPU and memory around
 * each, and stop it; then, for proxies, the daisy-chain throughput run on a fresh instance.
 * The fixed-rate run comes first so that its RSS is not inflated by the saturation runs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startForeignLoadWindow } from './foreign-load.js';
import { runLoadgen } from './loadgen-process.js';
import type { Origin } from './origin.js';
import { type RunningSut, type SutId, SutUnavailable, startSut } from './peers.js';
import type { Plan, WrkCase } from './plan.js';
import { checkRoute } from './probe.js';
import { groupMemory, startCpuWindow } from './resources.js';
import type { FixedRateRun, WrkRun } from './results-model.js';
import { runWrk } from './wrk.js';

export interface MeasureContext {
  origin: Origin;
  plan: Plan;
  repetition: number;
  log: (line: string) => void;
}

export interface SutRepetition {
  idleRss: number | null;
  peakRss: number | null;
  processes: number | null;
  fixed: FixedRateRun;
  wrk: WrkRun[];
  chain: WrkRun | null;
  chainFailure: string | null;
}

export async function measureSut(id: SutId, ctx: MeasureContext): Promise<SutRepetition> {
  const oneHop = await measureOneHop(id, ctx);
  if (id === 'direct') return { ...oneHop, chain: null, chainFailure: null };
  try {
    return { ...oneHop, chain: await measureChain(id, ctx), chainFailure: null };
  } catch (err) {
    // The one-hop figures stand on their own; report the chain's failure beside them.
    return { ...oneHop, chain: null, chainFailure: err instanceof Error ? err.message : String(err) };
  }
}

/** Process groups whose CPU is the benchmark's own: the origin and the SUT. */
function ownGroups(ctx: MeasureContext, pgid: number | null): number[] {
  return pgid === null ? [ctx.origin.proc.pid] : [ctx.origin.proc.pid, pgid];
}

async function measureOneHop(
  id: SutId,
  ctx: MeasureContext,
): Promise<Omit<SutRepetition, 'chain' | 'chainFailure'>> {
  const { plan, repetition, log } = ctx;
  const sut = await startSut(id, ctx.origin.port);
  try {
    const pgid = sut.proc?.pid ?? null;
    await sleep(500);
    const idle = pgid === null ? null : groupMemory(pgid);
    const routeProblem = await checkRoute(sut.port, plan.fixedPayload);
    if (routeProblem) throw new SutUnavailable(`routing check failed: ${routeProblem}`);
    await runWrk(sut.port, plan.fixedPayload.path, 16, plan.falseStartSeconds);
    const fixed = await fixedRateRun(sut, ctx);
    const wrk: WrkRun[] = [];
    for (const c of plan.wrkCases) wrk.push(await wrkCase(sut, c, ctx));
    const end = pgid === null ? null : groupMemory(pgid);
    log(`${id} #${repetition}: done`);
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

async function fixedRateRun(sut: RunningSut, ctx: MeasureContext): Promise<FixedRateRun> {
  const { plan, repetition } = ctx;
  const pgid = sut.proc?.pid ?? null;
  ctx.log(
    `${sut.id} #${repetition}: ${plan.fixedRate} rps open loop, ${plan.fixedWarmupSeconds}+${plan.fixedSeconds} s`,
  );
  const cpu = pgid === null ? null : startCpuWindow(pgid);
  const foreign = startForeignLoadWindow(ownGroups(ctx, pgid));
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
  const window = cpu?.();
  return {
    repetition,
    latency: result.latency,
    service: result.service,
    sendLag: result.sendLag,
    counts: result.counts,
    achievedRps: result.achievedRps,
    generatorCpu: result.generatorCpu,
    cpuPer1000Rps: window ? (window.cpuSeconds * 1000) / Math.max(1, result.totalCompleted) : null,
    rssAfter: pgid === null ? null : groupMemory(pgid).rss,
    foreignLoad: foreign(),
  };
}

async function wrkCase(sut: RunningSut, c: WrkCase, ctx: MeasureContext): Promise<WrkRun> {
  const { plan, repetition } = ctx;
  const pgid = sut.proc?.pid ?? null;
  const chain = c.hops > 1 ? `, ${c.hops}-hop chain` : '';
  ctx.log(
    `${sut.id} #${repetition}: wrk -t1 -c${c.connections} -d${plan.wrkSeconds}s, ${c.payload.label}${chain}`,
  );
  const cpu = pgid === null ? null : startCpuWindow(pgid);
  const foreign = startForeignLoadWindow(ownGroups(ctx, pgid));
  const r = await runWrk(sut.port, c.payload.path, c.connections, plan.wrkSeconds);
  const window = cpu?.();
  return {
    repetition,
    payload: c.payload.label,
    connections: c.connections,
    hops: c.hops,
    rps: r.requests > 0 ? (r.rps * (r.requests - r.non2xx)) / r.requests : 0,
    rawRps: r.rps,
    requests: r.requests,
    non2xx: r.non2xx,
    socketErrors: r.socketErrors,
    cpuPer1000Rps: window ? (window.cpuSeconds * 1000) / Math.max(1, r.requests) : null,
    foreignLoad: foreign(),
  };
}

/** The daisy-chain throughput run, on a fresh instance configured as `hops` chained hops. */
async function measureChain(id: SutId, ctx: MeasureContext): Promise<WrkRun> {
  const c = ctx.plan.chainCase;
  const sut = await startSut(id, ctx.origin.port, c.hops);
  try {
    const routeProblem = await checkRoute(sut.port, c.payload);
    if (routeProblem) throw new Error(`routing check failed: ${routeProblem}`);
    await runWrk(sut.port, c.payload.path, 16, ctx.plan.falseStartSeconds);
    return await wrkCase(sut, c, ctx);
  } finally {
    await sut.stop();
  }
}
