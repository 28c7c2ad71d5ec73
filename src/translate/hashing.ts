/** Which DestinationRule consistent hash applies to a route destination (Istio route.go `HashForHTTPDestination`, `hashForService`). */
import type { ConsistentHashLB, Destination } from '../model/index.js';
import type { ConsolidatedDestinationRule } from './destination-rules.js';

/** Subset port-level hash, else subset hash, else rule port-level hash, else the rule's hash. */
export function hashForDestination(rule: ConsolidatedDestinationRule | undefined, dest: Destination): ConsistentHashLB | undefined {
  if (!rule) return undefined;
  const policy = rule.spec.trafficPolicy;
  const port = dest.port?.number;
  const pls = (settings: typeof policy) =>
    port !== undefined ? settings?.portLevelSettings?.find((p) => p.port?.number === port)?.loadBalancer?.consistentHash : undefined;
  const subset = dest.subset ? rule.spec.subsets?.find((s) => s.name === dest.subset) : undefined;
  return pls(subset?.trafficPolicy) ?? subset?.trafficPolicy?.loadBalancer?.consistentHash ?? pls(policy) ?? policy?.loadBalancer?.consistentHash;
}

/** The hash for a service's default route: the rule's, overridden by its port-level setting for that port. */
export function hashForServicePort(rule: ConsolidatedDestinationRule | undefined, port: number): ConsistentHashLB | undefined {
  const policy = rule?.spec.trafficPolicy;
  const pls = policy?.portLevelSettings?.find((p) => p.port?.number === port);
  if (pls) return pls.loadBalancer?.consistentHash ?? policy?.loadBalancer?.consistentHash;
  return policy?.loadBalancer?.consistentHash;
}
