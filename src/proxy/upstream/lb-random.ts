/**
 * RANDOM (random_lb.cc): one random number picks the priority and then the host, uniformly and
 * ignoring weights, from the chosen list.
 */
import type { UpstreamHost } from './host.js';
import type { LbParams, LoadBalancerFactory } from './lb.js';
import { LoadBalancerBase } from './lb-base.js';
import type { LbContext } from './types.js';

export class RandomLoadBalancer extends LoadBalancerBase {
  protected refresh(): void {}

  chooseHost(_context: LbContext | undefined): UpstreamHost | undefined {
    const random = this.params.random();
    const source = this.hostSourceToUse(random);
    if (!source) return undefined;
    const hosts = this.hostsOf(source);
    return hosts.length === 0 ? undefined : hosts[random % hosts.length];
  }
}

export const randomFactory: LoadBalancerFactory = {
  name: 'RANDOM',
  validate() {},
  create: (params: LbParams) => new RandomLoadBalancer(params),
};
