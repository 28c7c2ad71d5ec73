/**
 * Renders a run as markdown, writes it to bench/results/<date>-http1[-quick].md with the raw
 * data beside it (*.raw.json, gitignored), and returns the text.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  addedLatency,
  clusterScaleFigures,
  latencyRules,
  latencySpread,
  loadSideHeadroom,
  type Percentile,
  throughputRatio,
  wrkRuns,
  wrkSpread,
} from './comparisons.js';
import { DEFAULT_SKEIN_LAUNCHER, REPO_ROOT, SUT_LABELS } from './peers.js';
import type { WrkCase } from './plan.js';
import { machineSection, methodSection } from './report-method.js';
import type { BenchRun, SutResults, WrkRun } from './results-model.js';
import { bytes, formatSpread, mb, ms, ratio, rps, type Spread, signedMs, spread, vcpu } from './summary.js';

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The SUTs that produced figures. */
function ran(run: BenchRun): SutResults[] {
  return run.suts.filter((s) => s.notRun === null);
}

function statusSection(run: BenchRun): string {
  const lines = run.suts.map((s) => {
    if (s.notRun !== null) return `- **${SUT_LABELS[s.id]}: not run:** ${s.notRun}`;
    const extra = s.failures.length > 0 ? ` (problems: ${s.failures.join('; ')})` : '';
    return `- ${SUT_LABELS[s.id]}: ran ${s.fixed.length} repetition(s)${extra}`;
  });
  return `## Status\n\n${lines.join('\n')}\n\n${foreignLoadNote(run)}\n`;
}

/** Other sessions share this machine: say how much CPU they took while we measured. */
function foreignLoadNote(run: BenchRun): string {
  const samples = run.suts.flatMap((s) => [
    ...s.fixed.map((f) => ({
      load: f.foreignLoad,
      what: `${SUT_LABELS[s.id]} ${rps(run.plan.fixedRate)} rps #${f.repetition}`,
    })),
    ...s.wrk.map((w) => ({
      load: w.foreignLoad,
      what: `${SUT_LABELS[s.id]} wrk ${w.payload} c${w.connections} ×${w.hops} #${w.repetition}`,
    })),
  ]);
  const all = spread(samples.map((x) => x.load));
  if (!all) return '';
  const noisy = samples.filter((x) => x.load > NOISY_CORES).sort((a, b) => b.load - a.load);
  const text =
    `Foreign CPU load (busy time not used by the harness, origin, load tools or SUT, in cores; includes ` +
    `uncharged softirq): ${run.foreignLoadBefore.toFixed(2)} in the 2 s before the run; during the ` +
    `measurements median ${all.median.toFixed(2)}, max ${all.max.toFixed(2)}.`;
  if (noisy.length === 0) return text;
  const worst = noisy.slice(0, 5).map((x) => `${x.what} (${x.load.toFixed(2)})`);
  return (
    `${text} **${noisy.length} of ${samples.length} measurements ran beside more than ${NOISY_CORES} of a core of ` +
    `other work** (worst: ${worst.join(', ')}): the machine was shared with other jobs, so these figures are ` +
    'suspect, the latency tails most of all. Rerun on a quiet machine before quoting them.'
  );
}

const NOISY_CORES = 0.15;

function caseLabel(c: WrkCase): string {
  return `${c.payload.label}, c${c.connections}${c.hops > 1 ? `, ${c.hops}-hop chain` : ''}`;
}

/** The one-hop case the headline checks use: 1 KB with 64 connections. */
function mainCase(run: BenchRun): WrkCase {
  return run.plan.wrkCases.find((c) => c.connections === 64 && c.payload.bytes > 0) ?? run.plan.wrkCases[0]!;
}

function topologyCheck(run: BenchRun): string {
  const main = mainCase(run);
  const chain = run.plan.chainCase;
  const oneHop = loadSideHeadroom(run, main, main);
  const chained = loadSideHeadroom(run, chain, main);
  if (oneHop === null) return 'Topology check: not enough data.';
  const verdict = (h: number): string =>
    h >= 2 ? '≥ 2×: valid' : '**< 2×: the load side limits the proxies**';
  let text = `Topology check (§6.2.3), direct / best proxy at ${caseLabel(main)}: ${ratio(oneHop)} (${verdict(oneHop)}).`;
  if (chained !== null) {
    text += ` Through the ${chain.hops}-hop chain: direct / best chain = ${ratio(chained)} (${verdict(chained)}).`;
  }
  if (oneHop < 2) {
    text +=
      ' The one-hop columns then understate the faster proxies, so their ratios are upper bounds for Skein;' +
      ` the ${chain.hops}-hop chain column (each proxy chained ${chain.hops} times inside its one worker on core 1, DPbench's` +
      ' method) is the one that measures the proxies themselves.';
  }
  return text;
}

function throughputSection(run: BenchRun): string {
  const chain = run.plan.chainCase;
  const cases = [...run.plan.wrkCases, chain];
  const header = ['Path', ...cases.map(caseLabel)];
  const cell = (s: SutResults, c: WrkCase): string =>
    s.id === 'direct' && c.hops > 1 ? '— (no hops)' : formatSpread(wrkSpread(s, c), rps);
  const rows = run.suts.map((s) =>
    s.notRun !== null
      ? [SUT_LABELS[s.id], ...cases.map(() => 'not run')]
      : [SUT_LABELS[s.id], ...cases.map((c) => cell(s, c))],
  );
  const ratioRows = (['nginx', 'haproxy'] as const).map((peer) => [
    `Skein / ${peer}`,
    ...cases.map((c) => {
      const r = throughputRatio(run, peer, c);
      return r === null ? '—' : ratio(r);
    }),
  ]);
  const perHop = ran(run)
    .filter((s) => s.id !== 'direct')
    .map((s) => {
      const chainRps = wrkSpread(s, chain);
      return chainRps ? `${SUT_LABELS[s.id]} ${rps(chainRps.median * chain.hops)}` : null;
    })
    .filter((t): t is string => t !== null);
  const errors = run.suts.flatMap((s) =>
    s.wrk
      .filter((w) => w.non2xx + w.socketErrors > 0)
      .map(
        (w) =>
          `${SUT_LABELS[s.id]} ${w.payload} c${w.connections} ×${w.hops} #${w.repetition}: ` +
          `${w.non2xx} non-2xx of ${w.requests}, ${w.socketErrors} socket errors`,
      ),
  );
  return `## Max throughput (wrk, closed loop, requests/s)

${table(header, rows)}

${table(['Ratio (median / median)', ...header.slice(1)], ratioRows)}

${topologyCheck(run)}
${perHop.length > 0 ? `\nPer-hop capacity from the chain (chain rps × ${chain.hops}, requests/s one core can proxy): ${perHop.join(', ')}.\n` : ''}${errors.length > 0 ? `\n**Errors** (the table counts successful responses only): ${errors.join('; ')}.\n` : ''}`;
}

function latencyRow(run: BenchRun, s: SutResults, which: 'latency' | 'service'): string[] {
  const pct: Percentile[] =
    which === 'latency' ? ['p50', 'p90', 'p99', 'p999', 'max'] : ['p50', 'p90', 'p99'];
  const cells = pct.map((p) => formatSpread(latencySpread(s, p, which), ms));
  const added = (['p50', 'p90', 'p99'] as const).map((p) =>
    s.id === 'direct' ? '—' : formatSpread(addedLatency(run, s.id, p, which), signedMs),
  );
  if (which === 'service') return [SUT_LABELS[s.id], ...cells, ...added];
  const counts = s.fixed.map((f) => f.counts);
  const sum = (k: 'errors' | 'non2xx' | 'drops' | 'unfinished'): number =>
    counts.reduce((a, c) => a + c[k], 0);
  const achieved = formatSpread(spread(s.fixed.map((f) => f.achievedRps)), (v) => v.toFixed(0));
  const gen = formatSpread(spread(s.fixed.map((f) => 100 * f.generatorCpu)), (v) => `${v.toFixed(0)} %`);
  return [
    SUT_LABELS[s.id],
    ...cells,
    ...added,
    achieved,
    `${sum('errors') + sum('non2xx')} / ${sum('drops')} / ${sum('unfinished')}`,
    gen,
  ];
}

function latencySection(run: BenchRun): string {
  const p = run.plan;
  const notRun = run.suts.filter((s) => s.notRun !== null).map((s) => `${SUT_LABELS[s.id]}: not run.`);
  const main = table(
    [
      'Path',
      'p50',
      'p90',
      'p99',
      'p99.9',
      'max',
      'added p50',
      'added p90',
      'added p99',
      'achieved rps',
      'errors / drops / unfinished',
      'generator CPU',
    ],
    ran(run).map((s) => latencyRow(run, s, 'latency')),
  );
  const service = table(
    ['Path', 'p50', 'p90', 'p99', 'added p50', 'added p90', 'added p99'],
    ran(run).map((s) => latencyRow(run, s, 'service')),
  );
  const rules = table(
    ['Rule (issue)', 'Skein added', "limit from nginx's run", 'verdict'],
    latencyRules(run).map((r) => [r.rule, r.skein, r.limit, r.verdict]),
  );
  const lag = ran(run)
    .map((s) => `${SUT_LABELS[s.id]} ${formatSpread(spread(s.fixed.map((f) => f.sendLag.p99)), ms)}`)
    .join(', ');
  return `## Latency at ${rps(p.fixedRate)} rps (open loop, ${p.fixedPayload.label}, ${p.fixedConnections} connections), ms

Completion − intended send time (coordinated-omission corrected). "Added" = path − direct, same repetition.

${main}
${notRun.length > 0 ? `\n${notRun.join(' ')}\n` : ''}
${rules}

Service time only (write → last byte, no schedule lag or queueing), ms:

${service}

Generator send lag p99 (actual − intended write), ms: ${lag}.
`;
}

function resourcesSection(run: BenchRun): string {
  const main = mainCase(run);
  const chain = run.plan.chainCase;
  const cpuOf = (runs: WrkRun[], divisor = 1): Spread | null =>
    spread(runs.flatMap((w) => (w.cpuPer1000Rps === null ? [] : [w.cpuPer1000Rps / divisor])));
  const rows = run.suts
    .filter((s) => s.id !== 'direct')
    .map((s) => {
      if (s.notRun !== null) return [SUT_LABELS[s.id], 'not run', '', '', '', '', '', ''];
      const atRate = spread(s.fixed.flatMap((f) => (f.cpuPer1000Rps === null ? [] : [f.cpuPer1000Rps])));
      const under = spread(s.fixed.flatMap((f) => (f.rssAfter === null ? [] : [f.rssAfter])));
      return [
        SUT_LABELS[s.id],
        formatSpread(atRate, vcpu),
        formatSpread(cpuOf(wrkRuns(s, main)), vcpu),
        formatSpread(cpuOf(wrkRuns(s, chain), chain.hops), vcpu),
        formatSpread(spread(s.idleRss), mb),
        formatSpread(under, mb),
        formatSpread(spread(s.peakRss), mb),
        String(s.processes[0] ?? '—'),
      ];
    });
  return `## CPU and memory of the proxy

${table(
  [
    'Path',
    `vCPU per 1000 rps at ${rps(run.plan.fixedRate)} rps`,
    `vCPU per 1000 rps at max (${caseLabel(main)})`,
    `vCPU per 1000 rps per hop (${caseLabel(chain)})`,
    'idle RSS, MB',
    `RSS after the ${rps(run.plan.fixedRate)} rps run, MB`,
    'peak RSS (VmHWM, whole one-hop session), MB',
    'processes',
  ],
  rows,
)}

vCPU per 1000 rps = CPU seconds per 1000 requests. At ${rps(run.plan.fixedRate)} rps it includes the idle cost of the event loop and
timers; at max it is the marginal cost. Anchors (other machines, not comparable one to one): Envoy sidecar 0.20 vCPU per
1000 rps and 60 MB; ztunnel 0.06 vCPU and 12 MB; linkerd2-proxy 18–26 MB. nginx's RSS is summed over master and worker.
`;
}

function clusterScaleSection(run: BenchRun): string {
  const scale = run.clusterScale;
  if ('skipped' in scale) return `## Skein memory vs config size\n\nNot run: ${scale.skipped}\n`;
  const rows = scale.samples.map((s) => [
    `${s.clusters} × ${s.endpointsPerCluster}`,
    formatSpread(spread(s.rss), mb),
  ]);
  const f = clusterScaleFigures(scale);
  const figures = f
    ? `- Bytes per cluster (1000×1 − 1×1) / 999: **${bytes(f.bytesPerCluster)} B** (Envoy ≤ 42,000 B with stats)
- Bytes per endpoint (1000×10 − 1000×1) / 9000: **${bytes(f.bytesPerEndpoint)} B** (Envoy 1,300–3,000 B per host)
- Bytes per cluster with its 10 endpoints (1000×10 − 1×1) / 999: ${bytes(f.bytesPerClusterWith10)} B`
    : '- Not enough samples to derive bytes per cluster.';
  return `## Skein memory vs config size (STATIC clusters, stats on)

RSS 2 s after \`/ready\`, median of ${run.plan.clusterScaleRepetitions} start(s) per shape. Node's heap sizing makes single
RSS readings noisy by a few MB: read these as estimates.

${table(['clusters × endpoints', 'RSS, MB'], rows)}

${figures}
`;
}

export function renderReport(run: BenchRun): string {
  const title = `# Skein sidecar benchmark: HTTP/1.1 proxy, topology T (${run.startedAt.slice(0, 10)})`;
  const header = `${title}

Mode: **${run.plan.mode}** · started ${run.startedAt} · took ${(run.wallSeconds / 60).toFixed(1)} min · generated by \`npm run bench${run.plan.mode === 'quick' ? ' -- --quick' : ''}\`.

> Loopback figures on a shared 2-vCPU VM. Only ratios to the same-run baselines (direct, nginx, haproxy),
> CPU per 1000 rps and bytes carry over to other machines.
${run.skeinLauncher === DEFAULT_SKEIN_LAUNCHER ? '' : `\n**The "Skein" row is NOT this checkout's proxy:** it ran \`${run.skeinLauncher}\`.\n`}${run.resilience ? '\n**Resilience variant:** every Skein route carries Istio\'s default retry policy, every cluster outlier detection and circuit breakers, and the HTTP filter chain a fault filter injecting 0 %.\n' : ''}`;
  return [
    header,
    statusSection(run),
    throughputSection(run),
    latencySection(run),
    resourcesSection(run),
    clusterScaleSection(run),
    machineSection(run),
    methodSection(run),
  ].join('\n');
}

/** Writes the report and the raw JSON; returns the markdown path. */
export function writeReport(run: BenchRun, markdown: string): string {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const variant = run.resilience ? '-resilience' : '';
  const base = `${run.startedAt.slice(0, 10)}-http1${variant}${run.plan.mode === 'quick' ? '-quick' : ''}`;
  const mdPath = path.join(dir, `${base}.md`);
  writeFileSync(mdPath, markdown);
  writeFileSync(path.join(dir, `${base}.raw.json`), `${JSON.stringify(run, null, 2)}\n`);
  return mdPath;
}
