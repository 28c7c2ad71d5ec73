/**
 * The upstream side's public shapes, shared by clusters, load balancers and pools. Kept in one
 * dependency-free file so the tree (cluster → load balancer → host → pool → connection) has no
 * import cycles. `cluster-manager.ts` and `conn-pool.ts` re-export what callers need.
 */
import type net from 'node:net';
import type { Cluster__Output } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';
import type { ClusterStats } from './cluster-stats.js';
import type { ResourceManager, ResourceManagers } from './resource-manager.js';

/** What a load balancer may look at when picking a host for one request or connection. */
export interface LbContext {
  /** From the route's hash policy; RING_HASH and MAGLEV pick by it (random when absent). */
  hashKey?: number;
  /** The downstream connection's local (original destination) address, for ORIGINAL_DST. */
  downstreamLocalAddress?: string;
  downstreamLocalPort?: number;
  /** The value of the ORIGINAL_DST override header (`UpstreamCluster.originalDstHeaderName`). */
  originalDstHeader?: string;
}

/**
 * Why a pool could not hand out a connection, named for Envoy's response flags:
 * 'connect_failure' and 'connect_timeout' are UF, 'overflow' (circuit breaker) is UO.
 */
export type PoolFailure = 'connect_failure' | 'connect_timeout' | 'overflow';

/** A queued `acquire`; after `cancel()` its callback is never called. */
export interface PendingAcquire {
  cancel(): void;
}

/**
 * Receives a pooled socket's events while it holds the connection. The pool installs its
 * socket listeners once per connection and dispatches to the current user, so handing a
 * keep-alive connection from request to request adds and removes no listeners.
 */
export interface ConnectionUser {
  onData(chunk: Buffer): void;
  /** The upstream sent FIN or the socket closed. */
  onEnd(): void;
  /** The socket's write buffer drained. */
  onDrain(): void;
}

export interface PooledConnection {
  readonly socket: net.Socket;
  /** Routes socket events to `user` until release() or destroy(). */
  attach(user: ConnectionUser): void;
  readonly host: Host;
  /** How many times the pool has handed this connection out, the current use included. */
  requestsServed: number;
  /** Returns the connection to the pool for keep-alive reuse (detaches the user); call once. */
  release(): void;
  /** Closes the connection; it is never reused (framing error, `connection: close`, abort). */
  destroy(): void;
}

export interface ConnectionPool {
  /**
   * Calls back (never synchronously) with an idle connection (most recently used first) or a
   * newly connected one, or with the failure that prevented it.
   */
  acquire(
    callback: (err: PoolFailure | undefined, connection: PooledConnection | undefined) => void,
  ): PendingAcquire;
  /** Destroys every connection (idle and in use) and fails queued acquires. */
  close(): void;
}

/**
 * What a caller reports to outlier detection about one request to a host, with the names of
 * Envoy's Upstream::Outlier::Result. LOCAL_ORIGIN_* are events Skein itself saw (connect
 * failure or success, timeout); EXT_ORIGIN_* are the upstream's own verdict for non-HTTP
 * protocols. Without split_external_local_origin_errors, local events map to HTTP codes
 * (connect failure 503, timeout 504, LOCAL_ORIGIN_CONNECT_SUCCESS ignored).
 */
export type OutlierResult =
  | 'EXT_ORIGIN_REQUEST_FAILED'
  | 'EXT_ORIGIN_REQUEST_SUCCESS'
  | 'LOCAL_ORIGIN_CONNECT_FAILED'
  | 'LOCAL_ORIGIN_CONNECT_SUCCESS'
  | 'LOCAL_ORIGIN_TIMEOUT'
  | 'LOCAL_ORIGIN_CONNECT_SUCCESS_FINAL';

/**
 * A host's outlier detection monitor (Envoy's DetectorHostMonitor). Every host has one; it does
 * nothing when the cluster has no `outlier_detection` or the host left the cluster.
 */
export interface OutlierMonitor {
  /** An HTTP response's status from this host (for gRPC, the status mapped from grpc-status). */
  putHttpResponseCode(status: number): void;
  /** A local or external event; `status`, when given, is reported as that HTTP code instead. */
  putResult(result: OutlierResult, status?: number): void;
  /** Response time of a completed request; unused by Envoy's detectors (kept for parity). */
  putResponseTime(ms: number): void;
}

/** A host's active health check monitor (Envoy's HealthCheckHostMonitor); no-op without health checks. */
export interface HealthCheckHostMonitor {
  /**
   * The upstream answered with `x-envoy-immediate-health-check-fail`: fail the host's active
   * health check at once (a passive failure), as Envoy's router does.
   */
  setUnhealthy(type: 'IMMEDIATE_HEALTH_CHECK_FAIL'): void;
}

/** Envoy's RoutingPriority: which circuit breakers a request counts against. */
export type RoutingPriority = 'DEFAULT' | 'HIGH';

/** Per-host counters, as Envoy shows them on the admin /clusters page. */
export interface HostStats {
  cx_total: number;
  cx_active: number;
  cx_connect_fail: number;
  rq_total: number;
}

export interface Host {
  readonly address: string;
  readonly port: number;
  /** The endpoint's `hostname` (the DNS name for DNS clusters), for auto_host_rewrite. */
  readonly hostname: string;
  readonly weight: number;
  readonly priority: number;
  /** `region/zone/sub_zone`, or '' when the endpoint has no locality. */
  readonly locality: string;
  /**
   * Routable as healthy: neither EDS (UNHEALTHY, DRAINING, TIMEOUT, DEGRADED), nor active
   * health checking, nor outlier detection says otherwise (Envoy's Host::coarseHealth).
   */
  readonly healthy: boolean;
  /** EDS or an HTTP health check (`x-envoy-degraded`) says degraded: used only when a priority's healthy hosts cannot take the load. */
  readonly degraded: boolean;
  /** Passive health: report request outcomes here (never null). */
  readonly outlier: OutlierMonitor;
  /** Active health: report `x-envoy-immediate-health-check-fail` here (never null). */
  readonly healthChecker: HealthCheckHostMonitor;
  /** Envoy's health_flags for admin /clusters: `healthy`, or e.g. `/failed_active_hc/failed_outlier_check`. */
  healthFlagsString(): string;
  /** Requests in flight on this host; the router maintains it, LEAST_REQUEST reads it. */
  activeRequests: number;
  readonly pool: ConnectionPool;
  readonly stats: HostStats;
}

export interface UpstreamCluster {
  readonly name: string;
  /** The configuration it was built from, for admin config_dump. */
  readonly config: Cluster__Output;
  readonly connectTimeoutMs: number;
  readonly stats: ClusterStats;
  /**
   * Lower-case name of the header whose value (`ip:port`) overrides the original destination,
   * when `original_dst_lb_config.use_http_header` is set; undefined otherwise.
   */
  readonly originalDstHeaderName: string | undefined;
  /**
   * Circuit breakers per routing priority. The pool enforces `connections`, `pendingRequests`
   * and `requests` (DEFAULT priority); `retries` is for the router to check and count.
   */
  readonly resources: ResourceManagers;
  /** The circuit breakers of one routing priority (Envoy's ClusterInfo::resourceManager). */
  resourceManager(priority: RoutingPriority): ResourceManager;
  /** Undefined means no healthy upstream (the caller answers 503 with UH). */
  chooseHost(context: LbContext): Host | undefined;
  /** Every host of every priority, for admin /clusters. */
  hosts(): readonly Host[];
}
