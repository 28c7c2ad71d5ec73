/**
 * A cluster's hosts grouped by priority (a `HostSet` each), then by locality, and partitioned
 * by health — the structure Envoy's load balancers read (source/common/upstream/upstream_impl.cc,
 * HostSetImpl / PrioritySetImpl). Load balancers subscribe to changes and rebuild their state.
 */
import { EdfScheduler } from './edf-scheduler.js';
import type { UpstreamHost } from './host.js';

/** Envoy's default overprovisioning factor, in percent (kDefaultOverProvisioningFactor). */
export const DEFAULT_OVERPROVISIONING_FACTOR = 140;

export interface LocalitySpec {
  readonly locality: string;
  /** LocalityLbEndpoints.load_balancing_weight; undefined when unset (then no locality load). */
  readonly weight: number | undefined;
}

export class HostSet {
  readonly priority: number;
  hosts: readonly UpstreamHost[] = [];
  healthyHosts: readonly UpstreamHost[] = [];
  degradedHosts: readonly UpstreamHost[] = [];
  hostsPerLocality: readonly (readonly UpstreamHost[])[] = [];
  healthyHostsPerLocality: readonly (readonly UpstreamHost[])[] = [];
  degradedHostsPerLocality: readonly (readonly UpstreamHost[])[] = [];
  /** Aligned with `hostsPerLocality`; unset weights are 0. Empty when no locality is known. */
  localityWeights: readonly number[] = [];
  overprovisioningFactor = DEFAULT_OVERPROVISIONING_FACTOR;
  /** ClusterLoadAssignment.policy.weighted_priority_health. */
  weightedPriorityHealth = false;
  private healthyLocalityScheduler: EdfScheduler<number> | undefined;
  private degradedLocalityScheduler: EdfScheduler<number> | undefined;
  private localities: readonly LocalitySpec[] = [];

  constructor(priority: number) {
    this.priority = priority;
  }

  /** Replaces the host list; `localities` gives locality order and weights. */
  update(
    hosts: readonly UpstreamHost[],
    localities: readonly LocalitySpec[],
    overprovisioningFactor: number,
    weightedPriorityHealth: boolean,
  ): void {
    this.hosts = hosts;
    this.localities = localities;
    this.overprovisioningFactor = overprovisioningFactor;
    this.weightedPriorityHealth = weightedPriorityHealth;
    this.partition();
  }

  /** Recomputes the health partitions after a host's health changed. */
  partition(): void {
    const hosts = this.hosts;
    this.healthyHosts = hosts.filter((h) => h.coarseHealth === 'healthy');
    this.degradedHosts = hosts.filter((h) => h.coarseHealth === 'degraded');

    // Localities in the order the assignment listed them, then any others hosts name.
    const order = new Map<string, number>();
    const weights: number[] = [];
    for (const spec of this.localities) {
      const index = order.get(spec.locality);
      if (index === undefined) {
        order.set(spec.locality, weights.length);
        weights.push(spec.weight ?? 0);
      } else weights[index] = spec.weight ?? 0;
    }
    for (const host of hosts) {
      if (!order.has(host.locality)) {
        order.set(host.locality, weights.length);
        weights.push(0);
      }
    }
    const perLocality: UpstreamHost[][] = weights.map(() => []);
    for (const host of hosts) perLocality[order.get(host.locality)!]!.push(host);
    this.hostsPerLocality = perLocality;
    this.healthyHostsPerLocality = perLocality.map((l) => l.filter((h) => h.coarseHealth === 'healthy'));
    this.degradedHostsPerLocality = perLocality.map((l) => l.filter((h) => h.coarseHealth === 'degraded'));
    this.localityWeights = weights;
    this.healthyLocalityScheduler = this.localityScheduler(this.healthyHostsPerLocality);
    this.degradedLocalityScheduler = this.localityScheduler(this.degradedHostsPerLocality);
  }

  /** Index into `healthyHostsPerLocality`, or undefined when no locality has weight. */
  chooseHealthyLocality(): number | undefined {
    return this.healthyLocalityScheduler?.pickAndAdd((i) =>
      this.effectiveLocalityWeight(i, this.healthyHostsPerLocality),
    );
  }

  chooseDegradedLocality(): number | undefined {
    return this.degradedLocalityScheduler?.pickAndAdd((i) =>
      this.effectiveLocalityWeight(i, this.degradedHostsPerLocality),
    );
  }

  /**
   * weight × min(1, factor/100 × eligible/total): a locality loses weight only once fewer than
   * 1/factor of its hosts are available (HostSetImpl::effectiveLocalityWeight;
   * arch_overview/upstream/load_balancing/locality_weight).
   */
  effectiveLocalityWeight(index: number, eligiblePerLocality: readonly (readonly UpstreamHost[])[]): number {
    const total = this.hostsPerLocality[index]?.length ?? 0;
    if (total === 0) return 0;
    const eligible = eligiblePerLocality[index]?.length ?? 0;
    const ratio = Math.min(1, ((this.overprovisioningFactor / 100) * eligible) / total);
    return (this.localityWeights[index] ?? 0) * ratio;
  }

  private localityScheduler(
    eligible: readonly (readonly UpstreamHost[])[],
  ): EdfScheduler<number> | undefined {
    const scheduler = new EdfScheduler<number>();
    for (let i = 0; i < this.localityWeights.length; i++) {
      scheduler.add(this.effectiveLocalityWeight(i, eligible), i);
    }
    // With every effective weight zero there is no schedule and the LB uses the whole priority.
    return scheduler.size > 0 ? scheduler : undefined;
  }
}

export class PrioritySet {
  readonly hostSets: HostSet[] = [];
  private readonly listeners = new Set<() => void>();

  /** The host set for `priority`, creating it and every lower-numbered one (as Envoy does). */
  getOrCreate(priority: number): HostSet {
    while (this.hostSets.length <= priority) this.hostSets.push(new HostSet(this.hostSets.length));
    return this.hostSets[priority]!;
  }

  allHosts(): UpstreamHost[] {
    return this.hostSets.flatMap((set) => set.hosts);
  }

  /** Subscribes to membership and health changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of this.listeners) listener();
  }
}
