/**
 * Validates the open-loop generator against wrk on the direct path (origin only):
 * 1. wrk's max rps with 16 connections;
 * 2. the generator offered that same rate open-loop: how much of it it can push (its ceiling);
 * 3. the generator at 10× the benchmark rate: it must hold the schedule without drops.
 */
import { runLoadgen } from './loadgen-process.js';
import type { Plan } from './plan.js';
import type { LoadgenValidation } from './results-model.js';
import { runWrk } from './wrk.js';

export async function validateLoadgen(originPort: number, plan: Plan): Promise<LoadgenValidation> {
  const path = plan.fixedPayload.path;
  const wrk = await runWrk(originPort, path, 16, plan.validationSeconds);
  const base = {
    host: '127.0.0.1',
    port: originPort,
    path,
    warmupSeconds: 1,
    durationSeconds: plan.validationSeconds,
    maxOutstanding: plan.maxOutstanding,
    drainSeconds: 5,
  };
  const saturation = await runLoadgen({ ...base, rate: Math.round(wrk.rps), connections: 16 });
  const holdRate = plan.fixedRate * 10;
  const hold = await runLoadgen({ ...base, rate: holdRate, connections: 16 });
  return {
    wrkDirectRps: wrk.rps,
    saturationOffered: Math.round(wrk.rps),
    saturationAchieved: saturation.achievedRps,
    saturationGeneratorCpu: saturation.generatorCpu,
    holdRate,
    holdAchieved: hold.achievedRps,
    holdDrops: hold.counts.drops,
    holdSendLagP50: hold.sendLag.p50,
    holdSendLagP99: hold.sendLag.p99,
    holdGeneratorCpu: hold.generatorCpu,
  };
}
