/**
 * The part every per-request balancer shares (Envoy's LoadBalancerBase + ZoneAwareLoadBalancerBase,
 * load_balancer_impl.cc): keep the priority load and panic state current, then for each pick
 * choose a priority, and within it the host list to pick from — all hosts in panic, a weighted
 * locality's hosts with locality-weighted balancing, else the healthy (or degraded) hosts.
 * Zone-aware routing needs a local cluster, which Skein does not model, so it never applies.
 */
import type { UpstreamHost } from './host.js';
import type { LbParams, LoadBalancer } from './lb.js';
import { choosePriority, computePriorityLoad, type PriorityLoad } from './priority-load.js';
import type { LbContext } from './types.js';

export type SourceType = 'all' | 'healthy' | 'degraded' | 'locality_healthy' | 'locality_degraded';

export interface HostsSource {
  readonly priority: number;
  readonly type: SourceType;
  readonly localityIndex: number;
}

export function sourceKey(source: HostsSource): string {
  return `${source.priority}/${source.type}/${source.localityIndex}`;
}

export abstract class LoadBalancerBase implements LoadBalancer {
  protected readonly params: LbParams;
  protected load: PriorityLoad;
  private readonly unsubscribe: () => void;

  constructor(params: LbParams) {
    this.params = params;
    this.load = computePriorityLoad(params.prioritySet.hostSets, params.panicThreshold);
    this.unsubscribe = params.prioritySet.onChange(() => {
      this.load = computePriorityLoad(params.prioritySet.hostSets, params.panicThreshold);
      this.refresh();
    });
  }

  abstract chooseHost(context: LbContext | undefined): UpstreamHost | undefined;

  /** Called after the priority set changed (and once by subclasses when they are ready). */
  protected abstract refresh(): void;

  destroy(): void {
    this.unsubscribe();
  }

  /** Which hosts to pick from for this request, or undefined when the cluster has none. */
  protected hostSourceToUse(hash: number): HostsSource | undefined {
    const { priority, degraded } = choosePriority(hash, this.load);
    const hostSet = this.params.prioritySet.hostSets[priority];
    if (!hostSet) return undefined;
    if (this.load.panic[priority]) {
      this.params.stats.lb_healthy_panic.inc();
      return { priority, type: 'all', localityIndex: 0 };
    }
    if (this.params.localityWeighted) {
      const locality = degraded ? hostSet.chooseDegradedLocality() : hostSet.chooseHealthyLocality();
      if (locality !== undefined) {
        return {
          priority,
          type: degraded ? 'locality_degraded' : 'locality_healthy',
          localityIndex: locality,
        };
      }
    }
    return { priority, type: degraded ? 'degraded' : 'healthy', localityIndex: 0 };
  }

  protected hostsOf(source: HostsSource): readonly UpstreamHost[] {
    const set = this.params.prioritySet.hostSets[source.priority];
    if (!set) return [];
    switch (source.type) {
      case 'all':
        return set.hosts;
      case 'healthy':
        return set.healthyHosts;
      case 'degraded':
        return set.degradedHosts;
      case 'locality_healthy':
        return set.healthyHostsPerLocality[source.localityIndex] ?? [];
      case 'locality_degraded':
        return set.degradedHostsPerLocality[source.localityIndex] ?? [];
    }
  }

  /** Every source a pick can name, for balancers that precompute per-source state. */
  protected allSources(): HostsSource[] {
    const sources: HostsSource[] = [];
    for (const set of this.params.prioritySet.hostSets) {
      const priority = set.priority;
      sources.push({ priority, type: 'all', localityIndex: 0 });
      sources.push({ priority, type: 'healthy', localityIndex: 0 });
      sources.push({ priority, type: 'degraded', localityIndex: 0 });
      set.healthyHostsPerLocality.forEach((_, i) => {
        sources.push({ priority, type: 'locality_healthy', localityIndex: i });
      });
      set.degradedHostsPerLocality.forEach((_, i) => {
        sources.push({ priority, type: 'locality_degraded', localityIndex: i });
      });
    }
    return sources;
  }
}
