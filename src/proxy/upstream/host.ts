/**
 * One upstream endpoint of a cluster and its connection pool. A host keeps its identity (and so
 * its pooled connections) across EDS/DNS updates that keep its address; weight, priority,
 * locality and EDS health are updated in place, as Envoy's updateDynamicHostList does.
 */
import type { HealthStatus__Output as HealthStatus } from '../../xds/generated/envoy/config/core/v3/HealthStatus.js';
import type {
  ConnectionPool,
  HealthCheckHostMonitor,
  Host,
  HostStats,
  OutlierMonitor,
} from './types.js';

export type CoarseHealth = 'healthy' | 'degraded' | 'unhealthy';

/**
 * The health flags active health checking and outlier detection set on a host (a subset of
 * Envoy's Host::HealthFlag; the EDS ones are derived from `healthStatus`).
 */
export type HealthFlag =
  | 'FAILED_ACTIVE_HC'
  | 'FAILED_OUTLIER_CHECK'
  | 'DEGRADED_ACTIVE_HC'
  | 'ACTIVE_HC_TIMEOUT';

/** The monitor of a host whose cluster has no outlier detection (DetectorHostMonitorNullImpl). */
export const NULL_OUTLIER_MONITOR: OutlierMonitor = {
  putHttpResponseCode() {},
  putResult() {},
  putResponseTime() {},
};

/** The monitor of a host whose cluster has no active health checking. */
export const NULL_HEALTH_CHECK_MONITOR: HealthCheckHostMonitor = { setUnhealthy() {} };

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
  outlier: OutlierMonitor = NULL_OUTLIER_MONITOR;
  healthChecker: HealthCheckHostMonitor = NULL_HEALTH_CHECK_MONITOR;
  private readonly flags = new Set<HealthFlag>();
  /** Called when the coarse health changes so the owning cluster rebalances. */
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

  /** Envoy's Host::coarseHealth: any failure flag fails the host, any degraded flag degrades it. */
  get coarseHealth(): CoarseHealth {
    if (this.flags.has('FAILED_ACTIVE_HC') || this.flags.has('FAILED_OUTLIER_CHECK')) return 'unhealthy';
    const eds = edsHealth(this.healthStatus);
    if (eds !== 'healthy') return eds;
    return this.flags.has('DEGRADED_ACTIVE_HC') ? 'degraded' : 'healthy';
  }

  get healthy(): boolean {
    return this.coarseHealth === 'healthy';
  }

  hasHealthFlag(flag: HealthFlag): boolean {
    return this.flags.has(flag);
  }

  /** Sets or clears a flag; the owning cluster rebalances if the coarse health changed. */
  setHealthFlag(flag: HealthFlag, on = true): void {
    if (this.flags.has(flag) === on) return;
    const before = this.coarseHealth;
    if (on) this.flags.add(flag);
    else this.flags.delete(flag);
    if (this.coarseHealth !== before) this.onHealthChange?.(this);
  }

  /** Envoy's HostUtility::healthFlagsToString, for admin /clusters: `healthy` or `/flag/flag`. */
  healthFlagsString(): string {
    let out = '';
    if (this.flags.has('FAILED_ACTIVE_HC')) out += '/failed_active_hc';
    if (this.flags.has('FAILED_OUTLIER_CHECK')) out += '/failed_outlier_check';
    const eds = edsHealth(this.healthStatus);
    if (eds === 'unhealthy') out += '/failed_eds_health';
    if (this.flags.has('DEGRADED_ACTIVE_HC')) out += '/degraded_active_hc';
    if (eds === 'degraded') out += '/degraded_eds_health';
    if (this.flags.has('ACTIVE_HC_TIMEOUT')) out += '/active_hc_timeout';
    return out || 'healthy';
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
