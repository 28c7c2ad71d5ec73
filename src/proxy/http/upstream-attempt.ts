/**
 * One try of a routed request (Envoy's router UpstreamRequest): waits for a pooled connection
 * to the chosen host, sends the request head and whatever body the router has, enforces the
 * per-try timeouts, and reports the outcome to the router, which decides about retries. Each
 * try counts as one upstream request in the cluster's stats.
 */
import type { Host, PendingAcquire, PooledConnection, PoolFailure, UpstreamCluster } from '../upstream/cluster-manager.js';
import type { ResetReason } from './retry-state.js';
import { countUpstreamStatus } from './upstream-stats.js';
import { type UpstreamFailure, UpstreamRequest, type UpstreamRequestHead, type UpstreamResponseHandler } from './upstream-request.js';

/** What a try reports to the router; calls from a try the router has abandoned never arrive. */
export interface AttemptOwner {
  /** The pool handed out a connection: the router supplies the head and body now. */
  onAttemptReady(attempt: UpstreamAttempt): void;
  onAttemptHeaders(attempt: UpstreamAttempt, status: number, headers: string[], contentLength: number, endStream: boolean): void;
  onAttemptData(chunk: Buffer): boolean;
  onAttemptReadDone(): void;
  onAttemptDrain(resume: () => void): void;
  onAttemptEnd(attempt: UpstreamAttempt): void;
  onAttemptReset(attempt: UpstreamAttempt, reason: ResetReason, details: string): void;
}

export interface PerTryTimeouts {
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
}

export class UpstreamAttempt implements UpstreamResponseHandler {
  readonly host: Host;
  private readonly cluster: UpstreamCluster;
  private readonly owner: AttemptOwner;
  private readonly timeouts: PerTryTimeouts;
  private pending: PendingAcquire | undefined;
  private request: UpstreamRequest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = performance.now();
  private done = false;
  /** The request head went out on a connection (Envoy's "upstream request started"). */
  requestStarted = false;
  responseStarted = false;

  constructor(cluster: UpstreamCluster, host: Host, owner: AttemptOwner, timeouts: PerTryTimeouts) {
    this.cluster = cluster;
    this.host = host;
    this.owner = owner;
    this.timeouts = timeouts;
    const stats = cluster.stats;
    stats.upstream_rq_total.inc();
    stats.upstream_rq_active.inc();
    stats.upstream_rq_pending_total.inc();
    stats.upstream_rq_pending_active.inc();
    host.activeRequests++;
  }

  /** Asks the pool for a connection; the owner may hear back before this returns. */
  start(): void {
    this.pending = this.host.pool.acquire((err, connection) => this.onPool(err, connection));
  }

  get elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** The connection between pool readiness and send(). */
  private pendingConnection: PooledConnection | undefined;

  private onPool(err: PoolFailure | undefined, connection: PooledConnection | undefined): void {
    this.pending = undefined;
    this.cluster.stats.upstream_rq_pending_active.dec();
    if (this.done) {
      connection?.release();
      return;
    }
    if (err || !connection) {
      // Outlier detection hears of connect failures, never of overflow (Envoy issue 25487).
      if (err === 'overflow') this.cluster.stats.upstream_rq_pending_overflow.inc();
      else this.host.outlier.putResult('LOCAL_ORIGIN_CONNECT_FAILED');
      this.finish();
      const reason: ResetReason = err === 'overflow' ? 'overflow' : 'connection_failure';
      this.owner.onAttemptReset(this, reason, err === 'overflow' ? 'overflow' : 'connection_failure');
      return;
    }
    this.host.outlier.putResult('LOCAL_ORIGIN_CONNECT_SUCCESS');
    this.pendingConnection = connection;
    this.owner.onAttemptReady(this);
  }

  /** Sends the head on the connection the pool gave; body follows with writeBody/endBody. */
  send(head: UpstreamRequestHead, onDownstreamDrain: () => void): void {
    const connection = this.pendingConnection;
    this.pendingConnection = undefined;
    if (!connection || this.done) return;
    this.requestStarted = true;
    this.request = new UpstreamRequest(connection, head, this, onDownstreamDrain);
  }

  writeBody(chunk: Buffer): boolean {
    return this.request ? this.request.writeBody(chunk) : true;
  }

  /** The whole request is on its way: the per-try timers start now, as Envoy's do. */
  endBody(): void {
    if (!this.request || this.done) return;
    this.request.endBody();
    if (this.timeouts.timeoutMs > 0 && !this.timer) {
      this.timer = setTimeout(() => this.onTimeout('per_try_timeout'), this.timeouts.timeoutMs);
    }
    this.armIdleTimer();
  }

  /** The route timeout fired during this try: outlier detection counts a timeout if no headers came. */
  abortForTimeout(): void {
    if (this.done) return;
    if (this.requestStarted && !this.responseStarted) this.host.outlier.putResult('LOCAL_ORIGIN_TIMEOUT', 504);
    this.abort();
  }

  /** Abandons the try: the connection is closed, never reused (a half-done exchange). */
  abort(): void {
    if (this.done) return;
    if (this.pending) {
      this.pending.cancel();
      this.pending = undefined;
      this.cluster.stats.upstream_rq_pending_active.dec();
    }
    this.pendingConnection?.release();
    this.pendingConnection = undefined;
    if (this.request && !this.request.responseStarted) this.cluster.stats.upstream_rq_tx_reset.inc();
    this.request?.abort();
    this.finish();
  }

  // --- UpstreamResponseHandler ------------------------------------------------------
  onResponseHead(status: number, headers: string[], contentLength: number, endStream: boolean): void {
    if (this.done) return;
    this.responseStarted = true;
    // The per-try timeout covers the whole response, as the route timeout does.
    this.armIdleTimer();
    countUpstreamStatus(this.cluster.stats, status);
    this.host.outlier.putHttpResponseCode(status);
    if (headers.includes('x-envoy-immediate-health-check-fail')) {
      this.host.healthChecker.setUnhealthy('IMMEDIATE_HEALTH_CHECK_FAIL');
    }
    if (endStream) this.finish();
    this.owner.onAttemptHeaders(this, status, headers, contentLength, endStream);
  }

  onResponseData(chunk: Buffer): boolean {
    this.armIdleTimer();
    return this.owner.onAttemptData(chunk);
  }

  onReadDone(): void {
    this.owner.onAttemptReadDone();
  }

  onResponseDrain(resume: () => void): void {
    this.owner.onAttemptDrain(resume);
  }

  onResponseEnd(): void {
    if (this.done) return;
    this.finish();
    this.owner.onAttemptEnd(this);
  }

  onUpstreamFailure(kind: UpstreamFailure, detail: string): void {
    if (this.done) return;
    this.cluster.stats.upstream_rq_rx_reset.inc();
    this.host.outlier.putResult('LOCAL_ORIGIN_CONNECT_FAILED');
    this.finish();
    this.owner.onAttemptReset(this, kind === 'protocol_error' ? 'protocol_error' : 'remote_reset', detail);
  }

  private onTimeout(reason: 'per_try_timeout' | 'per_try_idle_timeout'): void {
    this.timer = undefined;
    this.idleTimer = undefined;
    if (this.done) return;
    this.cluster.stats.upstream_rq_per_try_timeout.inc();
    if (!this.responseStarted) this.host.outlier.putResult('LOCAL_ORIGIN_TIMEOUT', 504);
    this.request?.abort();
    this.finish();
    this.owner.onAttemptReset(this, 'per_try_timeout', reason);
  }

  private armIdleTimer(): void {
    const ms = this.timeouts.idleTimeoutMs;
    if (ms <= 0 || this.done) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(() => this.onTimeout('per_try_idle_timeout'), ms);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.clearTimer();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const stats = this.cluster.stats;
    stats.upstream_rq_active.dec();
    stats.upstream_rq_completed.inc();
    stats.upstream_rq_time.record(this.elapsedMs);
    this.host.outlier.putResponseTime(this.elapsedMs);
    this.host.activeRequests--;
  }
}
