/**
 * Consistent-hashing balancers (Envoy's ThreadAwareLoadBalancerBase, thread_aware_lb_impl.cc):
 * on every membership change each priority gets a table built from normalized host weights —
 * over its healthy hosts, or all of them in panic; with locality-weighted balancing each
 * locality's share is its weight over the sum. A pick uses the request's hash (or a random
 * number when there is none) both to choose the priority and to look up the table.
 */
import { hostKey, type UpstreamHost } from './host.js';
import { LoadBalancerBase } from './lb-base.js';
import { choosePriority } from './priority-load.js';
import type { HostSet } from './priority-set.js';
import type { LbContext } from './types.js';

export interface NormalizedHostWeight {
  readonly host: UpstreamHost;
  /** The host's share of its priority's traffic; all shares sum to at most 1. */
  readonly weight: number;
}

export interface HashingTable {
  chooseHost(hash: number): UpstreamHost | undefined;
}

/** What a host hashes as: its address, or its hostname with use_hostname_for_hashing. */
export function hashKeyOf(host: UpstreamHost, useHostname: boolean): string {
  return useHostname && host.hostname !== '' ? host.hostname : hostKey(host.address, host.port);
}

function normalizeHosts(
  hosts: readonly UpstreamHost[],
  localityShare: number,
  out: NormalizedHostWeight[],
): void {
  const sum = hosts.reduce((acc, h) => acc + h.weight, 0);
  if (sum === 0) return;
  for (const host of hosts) out.push({ host, weight: (host.weight * localityShare) / sum });
}

export function normalizeWeights(
  set: HostSet,
  inPanic: boolean,
  localityWeighted: boolean,
): NormalizedHostWeight[] {
  const out: NormalizedHostWeight[] = [];
  const weights = set.localityWeights;
  if (!localityWeighted || weights.length === 0) {
    normalizeHosts(inPanic ? set.hosts : set.healthyHosts, 1, out);
    return out;
  }
  // Locality weights may be 0 (unset); if all are, no host gets traffic.
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return out;
  const perLocality = inPanic ? set.hostsPerLocality : set.healthyHostsPerLocality;
  weights.forEach((weight, i) => {
    if (weight !== 0) normalizeHosts(perLocality[i] ?? [], weight / sum, out);
  });
  return out;
}

export abstract class HashingLoadBalancerBase extends LoadBalancerBase {
  private tables: (HashingTable | undefined)[] = [];

  protected abstract buildTable(weights: readonly NormalizedHostWeight[]): HashingTable | undefined;

  protected refresh(): void {
    this.tables = this.params.prioritySet.hostSets.map((set) => {
      const weights = normalizeWeights(
        set,
        this.load.panic[set.priority] ?? false,
        this.params.localityWeighted,
      );
      return weights.length === 0 ? undefined : this.buildTable(weights);
    });
  }

  chooseHost(context: LbContext | undefined): UpstreamHost | undefined {
    const hash = (context?.hashKey ?? this.params.random()) >>> 0;
    const { priority } = choosePriority(hash, this.load);
    if (this.load.panic[priority]) this.params.stats.lb_healthy_panic.inc();
    return this.tables[priority]?.chooseHost(hash);
  }
}

export function minMaxWeight(weights: readonly NormalizedHostWeight[]): { min: number; max: number } {
  let min = 1;
  let max = 0;
  for (const { weight } of weights) {
    min = Math.min(min, weight);
    max = Math.max(max, weight);
  }
  return { min, max };
}
