/**
 * Load-balancer factories by `lb_policy` name, so a new policy plugs in with one registration.
 * CLUSTER_PROVIDED is not here: the cluster type itself (ORIGINAL_DST) supplies that balancer.
 */
import type { LoadBalancerFactory } from './lb.js';
import { leastRequestFactory } from './lb-least-request.js';
import { maglevFactory } from './lb-maglev.js';
import { randomFactory } from './lb-random.js';
import { ringHashFactory } from './lb-ring-hash.js';
import { roundRobinFactory } from './lb-round-robin.js';

const factories = new Map<string, LoadBalancerFactory>();

export function registerLoadBalancer(factory: LoadBalancerFactory): void {
  factories.set(factory.name, factory);
}

export function lookupLoadBalancer(policy: string): LoadBalancerFactory | undefined {
  return factories.get(policy);
}

export function registeredLoadBalancers(): string[] {
  return [...factories.keys()];
}

for (const factory of [
  roundRobinFactory,
  leastRequestFactory,
  randomFactory,
  ringHashFactory,
  maglevFactory,
]) {
  registerLoadBalancer(factory);
}
