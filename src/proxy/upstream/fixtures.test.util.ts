/** Shared test helpers (not a test file itself: the runner only picks up `*.test.js`). */
import assert from 'node:assert/strict';
import type { Cluster__Output } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';
import type { ClusterLoadAssignment__Output } from '../../xds/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
import { decodeProtoJson } from '../../xds/proto-json.js';
import { StatsStore } from '../stats/stats.js';
import { type ClusterStats, clusterStatsScope, createClusterStats } from './cluster-stats.js';
import { type HostSpec, type ManagedPool, UpstreamHost } from './host.js';
import type { LbParams, Random } from './lb.js';
import { type LocalitySpec, PrioritySet } from './priority-set.js';
import type { Scheduler, TimerHandle } from './scheduler.js';

/** A deterministic uniform uint32 generator (mulberry32). */
export function seededRandom(seed = 1): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const nullPool: ManagedPool = {
  connectionCount: 0,
  acquire: () => ({ cancel() {} }),
  close() {},
  drain() {},
};

export function host(address: string, options: Partial<HostSpec> = {}): UpstreamHost {
  return new UpstreamHost(
    {
      address,
      port: 80,
      hostname: '',
      weight: 1,
      priority: 0,
      locality: '',
      healthStatus: 'HEALTHY',
      ...options,
    },
    () => nullPool,
  );
}

/** A priority set with the given hosts per priority (hosts' own priority is ignored). */
export function prioritySet(
  priorities: readonly (readonly UpstreamHost[])[],
  options: { factor?: number; localities?: readonly (readonly LocalitySpec[])[] } = {},
): PrioritySet {
  const set = new PrioritySet();
  priorities.forEach((hosts, p) => {
    for (const h of hosts) h.priority = p;
    set.getOrCreate(p).update(hosts, options.localities?.[p] ?? [], options.factor ?? 140, false);
    for (const h of hosts)
      h.onHealthChange = () => {
        set.hostSets[p]!.partition();
        set.notify();
      };
  });
  return set;
}

export function testStats(name = 'test'): ClusterStats {
  return createClusterStats(clusterStatsScope(new StatsStore().root(), name));
}

export function lbParams(
  set: PrioritySet,
  overrides: Partial<LbParams> & { cluster?: object } = {},
): LbParams {
  return {
    prioritySet: set,
    config: clusterConfig({ name: 'test', ...(overrides.cluster ?? {}) }),
    stats: testStats(),
    random: seededRandom(7),
    panicThreshold: 50,
    localityWeighted: false,
    ...overrides,
  };
}

export function clusterConfig(json: object): Cluster__Output {
  const decoded = decodeProtoJson<Cluster__Output>('envoy.config.cluster.v3.Cluster', json);
  if (!decoded.ok) assert.fail(JSON.stringify(decoded.errors));
  return decoded.value;
}

export function loadAssignment(json: object): ClusterLoadAssignment__Output {
  const decoded = decodeProtoJson<ClusterLoadAssignment__Output>(
    'envoy.config.endpoint.v3.ClusterLoadAssignment',
    json,
  );
  if (!decoded.ok) assert.fail(JSON.stringify(decoded.errors));
  return decoded.value;
}

/** Picks `n` times and counts picks per host address. */
export function countPicks(pick: () => { address: string } | undefined, n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const h = pick();
    const key = h ? h.address : 'none';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export function assertNear(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: expected ${expected} ± ${tolerance}, got ${actual}`,
  );
}

/** Lets promise callbacks (and resolutions chained on them) run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** A clock and timers that move only when told to, for outlier sweeps and health check intervals. */
export class ManualScheduler implements Scheduler {
  time = 0;
  private timers: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];
  private seq = 0;

  now(): number {
    return this.time;
  }

  schedule(delayMs: number, fn: () => void): TimerHandle {
    const timer = { at: this.time + delayMs, seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  /** Timers still to fire. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing due timers in order (timers they set fire too if due). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.time = due.at;
      due.fn();
    }
    this.time = end;
  }
}
