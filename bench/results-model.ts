/** The data one benchmark run produces: what report.ts renders and the raw JSON holds. */
import type { HistogramSummary } from './histogram.js';
import type { LoadgenCounts } from './loadgen.js';
import type { MachineFacts } from './machine.js';
import type { SutId } from './peers.js';
import type { Plan } from './plan.js';

export interface FixedRateRun {
  repetition: number;
  /** Nanoseconds, completion − intended send time. */
  latency: HistogramSummary;
  /** Nanoseconds, completion − actual write. */
  service: HistogramSummary;
  sendLag: HistogramSummary;
  counts: LoadgenCounts;
  achievedRps: number;
  generatorCpu: number;
  /** vCPU per 1000 rps of the SUT during this run; null for the direct path. */
  cpuPer1000Rps: number | null;
  /** RSS bytes of the SUT right after the run. */
  rssAfter: number | null;
  /** CPU used by things other than the benchmark during the run, in cores. */
  foreignLoad: number;
}

export interface WrkRun {
  repetition: number;
  payload: string;
  connections: number;
  /** 1, or the length of the daisy chain. */
  hops: number;
  /** Successful (2xx/3xx) responses per second: error responses are not throughput. */
  rps: number;
  /** wrk's own figure, error responses included. */
  rawRps: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
  /** vCPU per 1000 rps of the SUT at saturation; null for the direct path. */
  cpuPer1000Rps: number | null;
  /** CPU used by things other than the benchmark during the run, in cores. */
  foreignLoad: number;
}

export interface SutResults {
  id: SutId;
  /** Set when the SUT could not be run at all; the report prints "not run: <reason>". */
  notRun: string | null;
  /** Problems in some repetitions that did not stop the others. */
  failures: string[];
  idleRss: number[];
  peakRss: number[];
  processes: number[];
  fixed: FixedRateRun[];
  wrk: WrkRun[];
}

export interface LoadgenValidation {
  wrkDirectRps: number;
  /** The generator offered wrk's rate open-loop: what it achieved. */
  saturationOffered: number;
  saturationAchieved: number;
  saturationGeneratorCpu: number;
  /** The generator at 10× the benchmark rate: whether it holds the schedule. */
  holdRate: number;
  holdAchieved: number;
  holdDrops: number;
  holdSendLagP50: number;
  holdSendLagP99: number;
  holdGeneratorCpu: number;
}

export interface ClusterScaleSample {
  clusters: number;
  endpointsPerCluster: number;
  rss: number[];
}

export type ClusterScale = { samples: ClusterScaleSample[] } | { skipped: string };

export interface BenchRun {
  startedAt: string;
  finishedAt: string;
  wallSeconds: number;
  plan: Plan;
  machine: MachineFacts;
  /** The `skein.js` launcher that was measured. */
  skeinLauncher: string;
  /** Skein ran the `--resilience` variant of the bootstrap. */
  resilience?: boolean;
  /** Cores of other work on the machine just before the run started. */
  foreignLoadBefore: number;
  validation: LoadgenValidation | { failed: string };
  suts: SutResults[];
  clusterScale: ClusterScale;
}
