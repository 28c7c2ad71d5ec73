/**
 * Balancers that pick per request from a host list (Envoy's EdfLoadBalancerBase): when the hosts
 * of a list have different weights they are picked by an EDF schedule, weighted by
 * `hostWeight()`; when the weights are all equal the subclass's cheaper unweighted pick is used
 * (load_balancer_impl.cc, EdfLoadBalancerBase::refresh / chooseHostOnce).
 */
import { EdfScheduler } from './edf-scheduler.js';
import type { UpstreamHost } from './host.js';
import type { LbParams } from './lb.js';
import { type HostsSource, LoadBalancerBase, sourceKey } from './lb-base.js';
import type { LbContext } from './types.js';

function weightsAreEqual(hosts: readonly UpstreamHost[]): boolean {
  return hosts.every((h) => h.weight === hosts[0]!.weight);
}

export abstract class EdfLoadBalancerBase extends LoadBalancerBase {
  /** A random start so a fleet of proxies does not hit the same host first. */
  protected readonly seed: number;
  private schedulers = new Map<string, EdfScheduler<UpstreamHost>>();

  constructor(params: LbParams) {
    super(params);
    this.seed = params.random();
  }

  protected abstract hostWeight(host: UpstreamHost): number;
  protected abstract unweightedPick(
    hosts: readonly UpstreamHost[],
    source: HostsSource,
  ): UpstreamHost | undefined;

  protected refresh(): void {
    const schedulers = new Map<string, EdfScheduler<UpstreamHost>>();
    for (const source of this.allSources()) {
      const hosts = this.hostsOf(source);
      // One host or equal weights: no schedule needed (Envoy skips EDF creation then too).
      if (hosts.length <= 1 || weightsAreEqual(hosts)) continue;
      const scheduler = new EdfScheduler<UpstreamHost>();
      // Envoy starts each schedule at a random point (EdfScheduler::createWithPicks); rotating
      // the insertion order by the random seed does the same job.
      const offset = this.seed % hosts.length;
      for (let i = 0; i < hosts.length; i++) {
        const host = hosts[(i + offset) % hosts.length]!;
        scheduler.add(this.hostWeight(host), host);
      }
      schedulers.set(sourceKey(source), scheduler);
    }
    this.schedulers = schedulers;
  }

  chooseHost(_context: LbContext | undefined): UpstreamHost | undefined {
    const source = this.hostSourceToUse(this.params.random());
    if (!source) return undefined;
    const scheduler = this.schedulers.get(sourceKey(source));
    if (scheduler) return scheduler.pickAndAdd((host) => this.hostWeight(host));
    const hosts = this.hostsOf(source);
    if (hosts.length === 0) return undefined;
    return this.unweightedPick(hosts, source);
  }
}
