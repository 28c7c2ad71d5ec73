/**
 * ROUND_ROBIN: cycles through the hosts of the chosen list; with unequal weights an EDF schedule
 * gives each host picks in proportion to its weight (round_robin_lb.h).
 */

import { checkSupported } from '../config/config-error.js';
import type { UpstreamHost } from './host.js';
import type { LbParams, LoadBalancerFactory } from './lb.js';
import { type HostsSource, sourceKey } from './lb-base.js';
import { EdfLoadBalancerBase } from './lb-edf-base.js';

export class RoundRobinLoadBalancer extends EdfLoadBalancerBase {
  /** Next index per host list; kept across refreshes, as Envoy keeps rr_indexes_. */
  private readonly indexes = new Map<string, number>();

  constructor(params: LbParams) {
    super(params);
    this.refresh();
  }

  protected hostWeight(host: UpstreamHost): number {
    return host.weight;
  }

  protected unweightedPick(hosts: readonly UpstreamHost[], source: HostsSource): UpstreamHost | undefined {
    const key = sourceKey(source);
    const index = this.indexes.get(key) ?? this.seed;
    this.indexes.set(key, index + 1);
    return hosts[index % hosts.length];
  }
}

export const roundRobinFactory: LoadBalancerFactory = {
  name: 'ROUND_ROBIN',
  validate(config, path, errors) {
    if (config.round_robin_lb_config) {
      checkSupported(
        'envoy.config.cluster.v3.Cluster.RoundRobinLbConfig',
        config.round_robin_lb_config,
        [],
        [...path, 'round_robin_lb_config'],
        errors,
      );
    }
  },
  create: (params) => new RoundRobinLoadBalancer(params),
};
