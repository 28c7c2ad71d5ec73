/**
 * LEAST_REQUEST (least_request_lb.{h,cc}): with equal weights, power of `choice_count` choices
 * (default 2) — sample that many hosts at random and take the one with the fewest active
 * requests. With unequal weights, an EDF schedule where each host's weight is
 * `load_balancing_weight / (active_requests + 1) ^ active_request_bias` (bias default 1.0).
 */
import type { Cluster__Output } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';
import { checkSupported } from '../config/config-error.js';
import type { UpstreamHost } from './host.js';
import type { LbParams, LoadBalancerFactory } from './lb.js';
import { EdfLoadBalancerBase } from './lb-edf-base.js';

const LEAST_REQUEST_CONFIG = 'envoy.config.cluster.v3.Cluster.LeastRequestLbConfig';

export class LeastRequestLoadBalancer extends EdfLoadBalancerBase {
  private readonly choiceCount: number;
  private readonly activeRequestBias: number;

  constructor(params: LbParams) {
    super(params);
    const config = params.config.least_request_lb_config;
    this.choiceCount = config?.choice_count?.value ?? 2;
    const bias = config?.active_request_bias?.default_value ?? 1.0;
    // Envoy falls back to 1.0 for a negative or NaN bias.
    this.activeRequestBias = bias < 0 || Number.isNaN(bias) ? 1.0 : bias;
    this.refresh();
  }

  protected hostWeight(host: UpstreamHost): number {
    const bias = this.activeRequestBias;
    if (bias === 0) return host.weight;
    const active = host.activeRequests + 1;
    return bias === 1 ? host.weight / active : host.weight / active ** bias;
  }

  protected unweightedPick(hosts: readonly UpstreamHost[]): UpstreamHost | undefined {
    let candidate: UpstreamHost | undefined;
    for (let i = 0; i < this.choiceCount; i++) {
      const sampled = hosts[this.params.random() % hosts.length]!;
      if (!candidate || sampled.activeRequests < candidate.activeRequests) candidate = sampled;
    }
    return candidate;
  }
}

export const leastRequestFactory: LoadBalancerFactory = {
  name: 'LEAST_REQUEST',
  validate(config: Cluster__Output, path, errors) {
    const lr = config.least_request_lb_config;
    if (!lr) return;
    const at = [...path, 'least_request_lb_config'];
    checkSupported(LEAST_REQUEST_CONFIG, lr, ['choice_count', 'active_request_bias'], at, errors);
    if (lr.choice_count && lr.choice_count.value < 2) {
      errors.push({ path: [...at, 'choice_count'], message: 'choice_count must be at least 2' });
    }
    if (lr.active_request_bias) {
      // runtime_key names a runtime override; Skein has no runtime layer, so the default applies.
      checkSupported(
        'envoy.config.core.v3.RuntimeDouble',
        lr.active_request_bias,
        ['default_value', 'runtime_key'],
        [...at, 'active_request_bias'],
        errors,
      );
    }
  },
  create: (params: LbParams) => new LeastRequestLoadBalancer(params),
};
