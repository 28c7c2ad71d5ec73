/**
 * How load spreads over priorities, ported from Envoy's LoadBalancerBase
 * (source/extensions/load_balancing_policies/common/load_balancer_impl.cc,
 * recalculatePerPriorityState / recalculatePerPriorityPanic / choosePriority;
 * arch_overview/upstream/load_balancing/{priority,overprovisioning,panic_threshold,degraded}).
 *
 * - A priority's health is min(100, factor × healthy / hosts) (degraded likewise); load goes to
 *   the highest priorities first and what they cannot take spills to lower ones.
 * - A priority is in panic when (healthy + degraded) / hosts < the panic threshold, unless the
 *   normalized total availability is 100; in panic it balances over all its hosts.
 * - When every priority is in panic, load follows the number of hosts in each priority.
 */
import type { HostSet } from './priority-set.js';

export interface PriorityLoad {
  /** Percent of traffic for the healthy hosts of each priority. */
  readonly healthy: readonly number[];
  /** Percent of traffic for the degraded hosts of each priority. */
  readonly degraded: readonly number[];
  readonly panic: readonly boolean[];
}

function availability(set: HostSet): { health: number; degraded: number } {
  const hostCount = set.hosts.length;
  if (hostCount === 0) return { health: 0, degraded: 0 };
  let healthyWeight: number;
  let degradedWeight: number;
  let totalWeight: number;
  if (set.weightedPriorityHealth) {
    const sum = (hosts: readonly { weight: number }[]): number => hosts.reduce((acc, h) => acc + h.weight, 0);
    healthyWeight = sum(set.healthyHosts);
    degradedWeight = sum(set.degradedHosts);
    totalWeight = sum(set.hosts);
  } else {
    healthyWeight = set.healthyHosts.length;
    degradedWeight = set.degradedHosts.length;
    totalWeight = hostCount;
  }
  const factor = set.overprovisioningFactor;
  return {
    health: Math.min(100, Math.floor((factor * healthyWeight) / totalWeight)),
    degraded: Math.min(100, Math.floor((factor * degradedWeight) / totalWeight)),
  };
}

/** Assigns as much load as each priority can take, highest priority first. */
function distribute(
  load: number[],
  available: readonly number[],
  totalLoad: number,
  normalizedTotal: number,
): { first: number; remaining: number } {
  let first = -1;
  let remaining = totalLoad;
  for (let i = 0; i < available.length; i++) {
    if (first < 0 && available[i]! > 0) first = i;
    load[i] = Math.min(remaining, Math.floor((available[i]! * 100) / normalizedTotal));
    remaining -= load[i]!;
  }
  return { first, remaining };
}

function inPanic(set: HostSet, panicThreshold: number): boolean {
  const hostCount = set.hosts.length;
  const healthyPercent = hostCount === 0 ? 0 : (100 * set.healthyHosts.length) / hostCount;
  const degradedPercent = hostCount === 0 ? 0 : (100 * set.degradedHosts.length) / hostCount;
  return healthyPercent + degradedPercent < panicThreshold;
}

/** `panicThreshold` is a percentage (0 disables panic). */
export function computePriorityLoad(hostSets: readonly HostSet[], panicThreshold: number): PriorityLoad {
  const n = Math.max(1, hostSets.length);
  const healthy = new Array<number>(n).fill(0);
  const degraded = new Array<number>(n).fill(0);
  const health = new Array<number>(n).fill(0);
  const degradedAvailability = new Array<number>(n).fill(0);
  hostSets.forEach((set, i) => {
    const a = availability(set);
    health[i] = a.health;
    degradedAvailability[i] = a.degraded;
  });
  const normalizedTotal = Math.min(
    100,
    health.reduce((a, b) => a + b, 0) + degradedAvailability.reduce((a, b) => a + b, 0),
  );
  if (normalizedTotal > 0) {
    const h = distribute(healthy, health, 100, normalizedTotal);
    const d = distribute(degraded, degradedAvailability, h.remaining, normalizedTotal);
    // Rounding leftovers go to the first priority with healthy hosts, else degraded ones.
    if (d.remaining !== 0) {
      if (h.first !== -1) healthy[h.first]! += d.remaining;
      else if (d.first !== -1) degraded[d.first]! += d.remaining;
    }
  }

  const threshold = Math.min(100, panicThreshold);
  const panic = new Array<boolean>(n).fill(false);
  if (threshold === 0 && normalizedTotal === 0) {
    // No hosts available and panic disabled: nominally all load on P0, where nothing is routable.
    healthy[0] = 100;
    return { healthy, degraded, panic };
  }
  let totalPanic = true;
  for (let i = 0; i < hostSets.length; i++) {
    panic[i] = normalizedTotal === 100 ? false : inPanic(hostSets[i]!, threshold);
    totalPanic &&= panic[i]!;
  }
  if (hostSets.length === 0 || totalPanic) {
    // Every priority is in panic: spread load by host count, regardless of health.
    const total = hostSets.reduce((acc, set) => acc + set.hosts.length, 0);
    healthy.fill(0);
    degraded.fill(0);
    if (total === 0) {
      healthy[0] = 100;
      return { healthy, degraded, panic };
    }
    let remaining = 100;
    let firstNonEmpty = -1;
    hostSets.forEach((set, i) => {
      if (firstNonEmpty < 0 && set.hosts.length > 0) firstNonEmpty = i;
      healthy[i] = Math.floor((100 * set.hosts.length) / total);
      remaining -= healthy[i]!;
    });
    healthy[firstNonEmpty]! += remaining;
  }
  return { healthy, degraded, panic };
}

/**
 * Picks a priority from a hash or random number: `hash % 100 + 1` falls into the cumulative
 * healthy loads, then the degraded ones (LoadBalancerBase::choosePriority).
 */
export function choosePriority(hash: number, load: PriorityLoad): { priority: number; degraded: boolean } {
  const point = (hash % 100) + 1;
  let aggregate = 0;
  for (let p = 0; p < load.healthy.length; p++) {
    aggregate += load.healthy[p]!;
    if (point <= aggregate) return { priority: p, degraded: false };
  }
  for (let p = 0; p < load.degraded.length; p++) {
    aggregate += load.degraded[p]!;
    if (point <= aggregate) return { priority: p, degraded: true };
  }
  return { priority: 0, degraded: false };
}
