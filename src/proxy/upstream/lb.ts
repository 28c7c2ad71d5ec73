/**
 * The load-balancer contract. Like grpc-js's LB tree, a cluster owns one load balancer built
 * from its config by a factory looked up by policy name (`lb-registry.ts`); the balancer
 * watches the cluster's PrioritySet and picks hosts from it.
 */
import type { Cluster__Output } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';
import type { FieldPath } from '../../xds/proto-json.js';
import type { ConfigError } from '../config/config-error.js';
import type { ClusterStats } from './cluster-stats.js';
import type { UpstreamHost } from './host.js';
import type { PrioritySet } from './priority-set.js';
import type { LbContext } from './types.js';

/** A uniformly random unsigned 32-bit integer. */
export type Random = () => number;

export const defaultRandom: Random = () => Math.floor(Math.random() * 0x1_0000_0000);

export interface LoadBalancer {
  chooseHost(context: LbContext | undefined): UpstreamHost | undefined;
  /** Stops watching the priority set. */
  destroy(): void;
}

export interface LbParams {
  readonly prioritySet: PrioritySet;
  readonly config: Cluster__Output;
  readonly stats: ClusterStats;
  readonly random: Random;
  /** common_lb_config.healthy_panic_threshold, in percent (Envoy default 50). */
  readonly panicThreshold: number;
  /** common_lb_config.locality_weighted_lb_config is set. */
  readonly localityWeighted: boolean;
}

export interface LoadBalancerFactory {
  /** The `lb_policy` name it implements, e.g. 'ROUND_ROBIN'. */
  readonly name: string;
  /** Checks the policy's own config (e.g. `ring_hash_lb_config`), appending errors. */
  validate(config: Cluster__Output, path: FieldPath, errors: ConfigError[]): void;
  create(params: LbParams): LoadBalancer;
}
