/**
 * One upstream endpoint of a cluster and its connection pool. A host keeps its identity (and so
 * its pooled connections) across EDS/DNS updates that keep its address; weight, priority,
 * locality and EDS health are updated in place, as Envoy's updateDynamicHostList does.
 */
import type { HealthStatus__Output as HealthStatus } from '../../xds/generated/envoy/config/core/v3/HealthStatus.js';
import type { ConnectionPool, Host, HostStats } from './types.js';

export type CoarseHealth = 'healthy' | 'degraded' | 'unhealthy';

/** What an endpoint (EDS, static or DNS-resolved) says about a host. */
export interface HostSpec {
  readonly address: string;
  readonly port: number;
  readonly hostname: string;
  readonly weight: number;
  readonly priority: number;
  readonly locality: string;
  readonly healthStatus: HealthStatus;
}

/** The pool as its cluster sees it: also counts connections and can drain. */
export interface ManagedPool extends ConnectionPool {
  /** Connections open or opening, idle or in use. */
  readonly connectionCount: number;
  /** Closes idle connections now and in-use ones when released; new acquires still work. */
  drain(): void;
}

/** `address:port`, with IPv6 bracketed: the key hosts are matched by across updates. */
export function hostKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * Envoy's coarse health from the EDS status: UNHEALTHY, DRAINING and TIMEOUT fail the host,
 * DEGRADED degrades it, HEALTHY and UNKNOWN are routable (HostImpl::healthFlagsSetFromProto).
 */
export function edsHealth(status: HealthStatus): CoarseHealth {
  switch (status) {
    case 'UNHEALTHY':
    case 'DRAINING':
    case 'TIMEOUT':
      return 'unhealthy';
    case 'DEGRADED':
      return 'degraded';
    default:
      return 'healthy';
  }
}

export class UpstreamHost implements Host {
  address: string;
  port: number;
  hostname: string;
  weight: number;
  priority: number;
  locality: string;
  healthStatus: HealthStatus;
  activeRequests = 0;
  readonly stats: HostStats = { cx_total: 0, cx_active: 0, cx_connect_fail: 0, rq_total: 0 };
  readonly pool: ManagedPool;
  /** ORIGINAL_DST: picked since the last cleanup pass. */
  used = false;
  /** Failed by a health checker or outlier detector (set through `healthy`). */
  private failedExternally = false;
  /** Called when `healthy` changes so the owning cluster rebalances. */
  onHealthChange: ((host: UpstreamHost) => void) | undefined;

  constructor(spec: HostSpec, makePool: (host: UpstreamHost) => ManagedPool) {
    this.address = spec.address;
    this.port = spec.port;
    this.hostname = spec.hostname;
    this.weight = spec.weight;
    this.priority = spec.priority;
    this.locality = spec.locality;
    this.healthStatus = spec.healthStatus;
    this.pool = makePool(this);
  }

  get key(): string {
    return hostKey(this.address, this.port);
  }

  get coarseHealth(): CoarseHealth {
    if (this.failedExternally) return 'unhealthy';
    return edsHealth(this.healthStatus);
  }

  get healthy(): boolean {
    return this.coarseHealth === 'healthy';
  }

  set healthy(value: boolean) {
    if (this.failedExternally === !value) return;
    this.failedExternally = !value;
    this.onHealthChange?.(this);
  }

  get degraded(): boolean {
    return this.coarseHealth === 'degraded';
  }

  /** Applies an update for the same address; returns true if anything the LB uses changed. */
  update(spec: HostSpec): boolean {
    const changed =
      this.hostname !== spec.hostname || // hashed with use_hostname_for_hashing
      this.weight !== spec.weight ||
      this.priority !== spec.priority ||
      this.locality !== spec.locality ||
      this.healthStatus !== spec.healthStatus;
    this.hostname = spec.hostname;
    this.weight = spec.weight;
    this.priority = spec.priority;
    this.locality = spec.locality;
    this.healthStatus = spec.healthStatus;
    return changed;
  }
}
