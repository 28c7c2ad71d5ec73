/**
 * The derived figures of a run: medians and spreads per path, added latency over the direct
 * path, throughput ratios, the pass/fail rules of the issue, and bytes per cluster/endpoint.
 */
import type { HistogramSummary } from './histogram.js';
import { PROXY_IDS, type SutId } from './peers.js';
import type { WrkCase } from './plan.js';
import type { BenchRun, ClusterScale, FixedRateRun, SutResults, WrkRun } from './results-model.js';
import { type Spread, spread } from './summary.js';

export type Percentile = 'p50' | 'p90' | 'p99' | 'p999' | 'max';

export function sutOf(run: BenchRun, id: SutId): SutResults | undefined {
  return run.suts.find((s) => s.id === id);
}

export function wrkRuns(sut: SutResults | undefined, c: WrkCase): WrkRun[] {
  return (
    sut?.wrk.filter(
      (w) => w.payload === c.payload.label && w.connections === c.connections && w.hops === c.hops,
    ) ?? []
  );
}

export function wrkSpread(sut: SutResults | undefined, c: WrkCase): Spread | null {
  return spread(wrkRuns(sut, c).map((w) => w.rps));
}

export function latencySpread(
  sut: SutResults | undefined,
  p: Percentile,
  which: 'latency' | 'service' = 'latency',
): Spread | null {
  return spread(sut?.fixed.map((f) => (f[which] as HistogramSummary)[p]) ?? []);
}

/**
 * Added latency of `sut` over the direct path at percentile `p`, paired by repetition
 * (interleaved runs, so each pair shares the machine's state), as median and spread.
 */
export function addedLatency(
  run: BenchRun,
  id: SutId,
  p: Percentile,
  which: 'latency' | 'service' = 'latency',
): Spread | null {
  const direct = new Map<number, FixedRateRun>(
    (sutOf(run, 'direct')?.fixed ?? []).map((f) => [f.repetition, f]),
  );
  const deltas: number[] = [];
  for (const f of sutOf(run, id)?.fixed ?? []) {
    const d = direct.get(f.repetition);
    if (d) deltas.push(f[which][p] - d[which][p]);
  }
  return spread(deltas);
}

/** median(Skein) / median(peer) for one wrk case. */
export function throughputRatio(run: BenchRun, peer: SutId, c: WrkCase): number | null {
  const ours = wrkSpread(sutOf(run, 'skein'), c);
  const theirs = wrkSpread(sutOf(run, peer), c);
  return ours && theirs && theirs.median > 0 ? ours.median / theirs.median : null;
}

/** Topology T's validity (§6.2.3): the direct path must reach at least 2× the best proxy. */
export function loadSideHeadroom(run: BenchRun, c: WrkCase, direct: WrkCase): number | null {
  const d = wrkSpread(sutOf(run, 'direct'), direct);
  const best = Math.max(0, ...PROXY_IDS.map((id) => wrkSpread(sutOf(run, id), c)?.median ?? 0));
  return d && best > 0 ? d.median / best : null;
}

export interface RuleVerdict {
  rule: string;
  skein: string;
  limit: string;
  verdict: 'pass' | 'FAIL' | 'not evaluated';
}

const MS = 1e6;

/** The latency rules: added p50 ≤ nginx's + 0.1 ms; added p99 ≤ 2× nginx's. */
export function latencyRules(run: BenchRun): RuleVerdict[] {
  const fmt = (ns: number): string => `${(ns / MS).toFixed(3)} ms`;
  const rules: Array<[string, Percentile, (nginx: number) => number]> = [
    ["added p50 ≤ nginx's added p50 + 0.1 ms", 'p50', (n) => n + 0.1 * MS],
    ["added p99 ≤ 2 × nginx's added p99", 'p99', (n) => 2 * n],
  ];
  return rules.map(([rule, p, limitOf]) => {
    const ours = addedLatency(run, 'skein', p);
    const nginx = addedLatency(run, 'nginx', p);
    if (!ours || !nginx) {
      return { rule, skein: ours ? fmt(ours.median) : '—', limit: '—', verdict: 'not evaluated' };
    }
    const limit = limitOf(nginx.median);
    return {
      rule,
      skein: fmt(ours.median),
      limit: fmt(limit),
      verdict: ours.median <= limit ? 'pass' : 'FAIL',
    };
  });
}

export interface ClusterScaleFigures {
  /** (RSS 1000×1 − RSS 1×1) / 999 */
  bytesPerCluster: number;
  /** (RSS 1000×10 − RSS 1000×1) / 9000 */
  bytesPerEndpoint: number;
  /** (RSS 1000×10 − RSS 1×1) / 999: a cluster with its 10 endpoints. */
  bytesPerClusterWith10: number;
}

export function clusterScaleFigures(scale: ClusterScale): ClusterScaleFigures | null {
  if ('skipped' in scale) return null;
  const rss = (clusters: number, endpoints: number): number | null =>
    spread(
      scale.samples.find((s) => s.clusters === clusters && s.endpointsPerCluster === endpoints)?.rss ?? [],
    )?.median ?? null;
  const small = rss(1, 1);
  const wide = rss(1000, 1);
  const full = rss(1000, 10);
  if (small === null || wide === null || full === null) return null;
  return {
    bytesPerCluster: (wide - small) / 999,
    bytesPerEndpoint: (full - wide) / 9000,
    bytesPerClusterWith10: (full - small) / 999,
  };
}
