/**
 * `npm run bench [-- --quick] [-- --only=nginx,skein]`: the HTTP/1.1 one-hop benchmark.
 *
 * Starts the origin, validates the load generator against wrk, then measures the direct
 * path, nginx, haproxy and Skein interleaved ABAB for the plan's repetitions, measures
 * Skein's memory against config size, writes the report to bench/results/ and prints it.
 * A proxy that cannot start is reported as "not run: <reason>"; the others still run.
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { cleanupNow, installCleanupHandlers } from './cleanup.js';
import { measureClusterScale } from './cluster-scale.js';
import { startForeignLoadWindow } from './foreign-load.js';
import { collectMachineFacts } from './machine.js';
import { measureSut } from './measure-sut.js';
import { startOrigin } from './origin.js';
import {
  currentSkeinLauncher,
  resilienceConfigured,
  SUT_IDS,
  type SutId,
  SutUnavailable,
  useResilienceConfig,
  useSkeinLauncher,
} from './peers.js';
import { makePlan } from './plan.js';
import { renderReport, writeReport } from './report.js';
import type { BenchRun, ClusterScale, LoadgenValidation, SutResults } from './results-model.js';
import { validateLoadgen } from './validate-loadgen.js';

const REQUIRED_TOOLS = ['taskset', 'nginx', 'haproxy', 'wrk'];

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

const USAGE = `usage: node dist/bench/run.js [--quick] [--only=nginx,haproxy,skein] [--skein-bin=path/to/skein.js]
  --quick       ~5 s per measurement, 1 repetition (development; about 2 minutes)
  --only=...    measure only these proxies (the direct baseline always runs)
  --skein-bin=  launcher of the Skein build to measure (default: bin/skein.js of this checkout)
  --resilience  Skein's routes and clusters carry Istio's default retries, outlier detection,
                circuit breakers and a 0 % fault filter (report: <date>-http1-resilience.md)
`;

function parseArgs(argv: string[]): { quick: boolean; only: SutId[] } {
  let quick = false;
  let only: SutId[] = [...SUT_IDS];
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg.startsWith('--only=')) {
      const wanted = arg.slice('--only='.length).split(',');
      const unknown = wanted.filter((w) => !SUT_IDS.includes(w as SutId));
      if (unknown.length > 0)
        throw new Error(`unknown path(s) ${unknown.join(', ')}; known: ${SUT_IDS.join(', ')}`);
      // The direct path is every comparison's baseline: always measured.
      only = SUT_IDS.filter((id) => id === 'direct' || wanted.includes(id));
    } else if (arg.startsWith('--skein-bin=')) {
      useSkeinLauncher(arg.slice('--skein-bin='.length));
    } else if (arg === '--resilience') {
      useResilienceConfig();
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return { quick, only };
}

function checkTools(): void {
  const missing = REQUIRED_TOOLS.filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(`missing ${missing.join(', ')}: apt-get install nginx haproxy wrk util-linux`);
  }
}

/** Keeps the orchestrator (mostly idle) off the proxy's core. */
function pinSelfToCore0(): void {
  try {
    execFileSync('taskset', ['-acp', '0', String(process.pid)], { stdio: 'ignore' });
  } catch {
    log('could not pin the orchestrator to core 0');
  }
}

async function main(): Promise<void> {
  const { quick, only } = parseArgs(process.argv.slice(2));
  const plan = makePlan(quick);
  installCleanupHandlers();
  checkTools();
  pinSelfToCore0();
  const started = new Date();
  const machine = collectMachineFacts();
  const quietWindow = startForeignLoadWindow([]);
  await sleep(2000);
  const foreignLoadBefore = quietWindow();
  if (foreignLoadBefore > 0.15) {
    log(`warning: other work is using ${foreignLoadBefore.toFixed(2)} cores; figures will be noisy`);
  }
  log(`${plan.mode} run: ${only.join(', ')}; ${plan.repetitions} repetition(s)`);

  const origin = await startOrigin();
  log(`origin nginx on 127.0.0.1:${origin.port} (core 0)`);

  let validation: LoadgenValidation | { failed: string };
  try {
    log('validating the load generator against wrk on the direct path');
    validation = await validateLoadgen(origin.port, plan);
  } catch (err) {
    validation = { failed: err instanceof Error ? err.message : String(err) };
  }

  const results: SutResults[] = only.map((id) => ({
    id,
    notRun: null,
    failures: [],
    idleRss: [],
    peakRss: [],
    processes: [],
    fixed: [],
    wrk: [],
  }));
  for (let rep = 1; rep <= plan.repetitions; rep++) {
    for (const sut of results) {
      if (sut.notRun !== null) continue;
      log(`${sut.id} #${rep}: starting`);
      try {
        const r = await measureSut(sut.id, { origin, plan, repetition: rep, log });
        if (r.idleRss !== null) sut.idleRss.push(r.idleRss);
        if (r.peakRss !== null) sut.peakRss.push(r.peakRss);
        if (r.processes !== null) sut.processes.push(r.processes);
        sut.fixed.push(r.fixed);
        sut.wrk.push(...r.wrk);
        if (r.chain) sut.wrk.push(r.chain);
        if (r.chainFailure) {
          sut.failures.push(`repetition ${rep}, ${plan.chainCase.hops}-hop chain: ${r.chainFailure}`);
          log(`${sut.id} #${rep} chain failed: ${r.chainFailure}`);
        }
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (err instanceof SutUnavailable && sut.fixed.length === 0) {
          sut.notRun = message;
          log(`${sut.id}: not run: ${message}`);
        } else {
          sut.failures.push(`repetition ${rep}: ${message}`);
          log(`${sut.id} #${rep} failed: ${message}`);
        }
      }
    }
  }

  let clusterScale: ClusterScale;
  const skein = results.find((s) => s.id === 'skein');
  if (!skein) clusterScale = { skipped: 'Skein not selected (--only)' };
  else if (skein.notRun !== null) clusterScale = { skipped: `the proxy is unavailable (${skein.notRun})` };
  else {
    try {
      clusterScale = await measureClusterScale(plan.clusterScaleRepetitions, log);
    } catch (err) {
      clusterScale = { skipped: err instanceof Error ? err.message : String(err) };
    }
  }

  await origin.proc.stop();
  const finished = new Date();
  const run: BenchRun = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    wallSeconds: (finished.getTime() - started.getTime()) / 1000,
    plan,
    machine,
    skeinLauncher: currentSkeinLauncher(),
    resilience: resilienceConfigured(),
    foreignLoadBefore,
    validation,
    suts: results,
    clusterScale,
  };
  const markdown = renderReport(run);
  const file = writeReport(run, markdown);
  process.stdout.write(`${markdown}\n`);
  log(`report written to ${file}`);
}

main().then(
  () => cleanupNow(),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    cleanupNow();
    process.exitCode = 1;
  },
);
