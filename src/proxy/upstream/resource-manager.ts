/**
 * Circuit breakers: one `ResourceManager` per routing priority (DEFAULT, HIGH), each a set of
 * counted resources with a limit, as Envoy's ResourceManagerImpl. Limits default to Envoy's
 * 1024 connections / 1024 pending requests / 1024 requests / 3 retries
 * (envoy/config/cluster/v3/circuit_breaker.proto). The pool enforces `connections` and
 * `pendingRequests`; `requests` and `retries` are there for the router to check.
 *
 * Gauges: `circuit_breakers.<priority>.{cx,rq_pending,rq,rq_retry}_open` (1 while the limit is
 * reached) and, with `track_remaining`, `remaining_{cx,pending,rq,retries}`.
 */
import type { _envoy_config_cluster_v3_CircuitBreakers_Thresholds__Output as Thresholds } from '../../xds/generated/envoy/config/cluster/v3/CircuitBreakers.js';
import type { Gauge, StatsScope } from '../stats/stats.js';

export const DEFAULT_MAX_CONNECTIONS = 1024;
export const DEFAULT_MAX_PENDING_REQUESTS = 1024;
export const DEFAULT_MAX_REQUESTS = 1024;
export const DEFAULT_MAX_RETRIES = 3;

export class Resource {
  readonly max: number;
  private current = 0;
  private readonly open: Gauge;
  private readonly remaining: Gauge | undefined;

  constructor(max: number, open: Gauge, remaining: Gauge | undefined) {
    this.max = max;
    this.open = open;
    this.remaining = remaining;
    this.publish();
  }

  get count(): number {
    return this.current;
  }

  canCreate(): boolean {
    return this.current < this.max;
  }

  inc(): void {
    this.current++;
    this.publish();
  }

  dec(): void {
    if (this.current > 0) this.current--;
    this.publish();
  }

  private publish(): void {
    this.open.set(this.current >= this.max ? 1 : 0);
    this.remaining?.set(Math.max(0, this.max - this.current));
  }
}

export class ResourceManager {
  readonly connections: Resource;
  readonly pendingRequests: Resource;
  readonly requests: Resource;
  readonly retries: Resource;
  /** Full names of its gauges, so removing the cluster can drop them. */
  readonly names: string[] = [];

  constructor(scope: StatsScope, thresholds: Thresholds | undefined) {
    const track = thresholds?.track_remaining ?? false;
    const gauge = (name: string): Gauge => {
      const g = scope.gauge(name);
      this.names.push(g.name);
      return g;
    };
    const make = (max: number, openName: string, remainingName: string): Resource =>
      new Resource(max, gauge(openName), track ? gauge(remainingName) : undefined);
    this.connections = make(
      thresholds?.max_connections?.value ?? DEFAULT_MAX_CONNECTIONS,
      'cx_open',
      'remaining_cx',
    );
    this.pendingRequests = make(
      thresholds?.max_pending_requests?.value ?? DEFAULT_MAX_PENDING_REQUESTS,
      'rq_pending_open',
      'remaining_pending',
    );
    this.requests = make(thresholds?.max_requests?.value ?? DEFAULT_MAX_REQUESTS, 'rq_open', 'remaining_rq');
    this.retries = make(
      thresholds?.max_retries?.value ?? DEFAULT_MAX_RETRIES,
      'rq_retry_open',
      'remaining_retries',
    );
  }
}

export interface ResourceManagers {
  readonly default: ResourceManager;
  readonly high: ResourceManager;
}

/** Builds both priorities' managers under `cluster.<name>.circuit_breakers.<priority>.`. */
export function createResourceManagers(
  clusterScope: StatsScope,
  thresholds: readonly Thresholds[],
): ResourceManagers {
  // Envoy takes the first thresholds entry per priority (std::find_if in
  // ClusterInfoImpl::ResourceManagers::load, source/common/upstream/upstream_impl.cc).
  const find = (priority: string): Thresholds | undefined => thresholds.find((t) => t.priority === priority);
  const scopeFor = (priority: string): StatsScope =>
    clusterScope.scope(`circuit_breakers.${priority}.`, `circuit_breakers.${priority}.`);
  return {
    default: new ResourceManager(scopeFor('default'), find('DEFAULT')),
    high: new ResourceManager(scopeFor('high'), find('HIGH')),
  };
}
