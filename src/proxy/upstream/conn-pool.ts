/**
 * One host's pool of upstream TCP connections, the leaf of the dispatcher tree
 * (cluster → host pool → connection), modelled on undici's Pool and Envoy's ConnPoolImplBase
 * (source/common/conn_pool/conn_pool_base.cc). It only manages sockets; the HTTP/1.1 bytes on
 * them are the router's.
 *
 * - An acquire takes the most recently used idle connection (LIFO, as Envoy's ready list), else
 *   queues (FIFO) and opens a connection if the queue outgrew the connections being opened.
 * - Circuit breakers: a full `max_pending_requests` fails the acquire with 'overflow'; a full
 *   `max_connections` counts `upstream_cx_overflow` and leaves it queued for a connection to free
 *   up (a pool with no connection at all still opens one, as Envoy does); a full `max_requests`
 *   fails the acquire with 'overflow' when a connection would be handed to it (Envoy checks it
 *   in ConnPoolImplBase::attachStreamToClient). The caller counts `upstream_rq_pending_overflow`
 *   for both, as Envoy's circuit breaking doc says. A request counts against `max_requests` from
 *   hand-out until the connection is released or destroyed.
 * - A connect failure or `connect_timeout` fails every queued acquire ('connect_failure' /
 *   'connect_timeout'), as Envoy purges pending streams on a raw connect failure.
 * - Idle connections close after the idle timeout (Envoy's default 1 h), and at once if they
 *   close, error, or receive bytes: an upstream that speaks unasked is misbehaving.
 * - A connection that served `max_requests_per_connection` requests is closed on release.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ClusterStats } from './cluster-stats.js';
import type { ManagedPool, UpstreamHost } from './host.js';
import type { ResourceManager } from './resource-manager.js';
import type { ConnectionUser, PendingAcquire, PooledConnection, PoolFailure } from './types.js';

export type { ConnectionPool, PendingAcquire, PooledConnection, PoolFailure } from './types.js';

/**
 * Opens a TCP connection; injectable so tests can stand in for the network. It must return a
 * socket that is still connecting: the pool waits for its 'connect' event (or the timeout).
 */
export type ConnectFn = (options: { host: string; port: number }) => net.Socket;

export const defaultConnect: ConnectFn = ({ host, port }) => net.connect({ host, port });

/** Envoy's default upstream idle timeout (HttpProtocolOptions.idle_timeout): one hour. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60 * 60 * 1000;

export interface PoolSettings {
  readonly connectTimeoutMs: number;
  /** 0 disables the idle timeout. */
  readonly idleTimeoutMs: number;
  /** 0 means unlimited. */
  readonly maxRequestsPerConnection: number;
  readonly stats: ClusterStats;
  /** The cluster's DEFAULT-priority circuit breakers, shared by all its hosts' pools. */
  readonly resources: ResourceManager;
  readonly connect: ConnectFn;
}

type Callback = (err: PoolFailure | undefined, connection: PooledConnection | undefined) => void;

interface Waiter {
  readonly callback: Callback;
  cancelled: boolean;
  done: boolean;
  /** Counted in `pendingRequests` while queued. */
  queued: boolean;
}

type State = 'connecting' | 'idle' | 'reserved' | 'busy' | 'closed';

class Connection implements PooledConnection {
  readonly socket: net.Socket;
  readonly host: UpstreamHost;
  requestsServed = 0;
  state: State = 'connecting';
  /** Handed out and counted in the `requests` circuit breaker. */
  holdsRequest = false;
  connectTimer: NodeJS.Timeout | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  timedOut = false;
  closedLocally = false;
  readonly startedAt = performance.now();
  connectedAt = 0;
  /** Who gets socket events now; undefined while the connection is not handed out. */
  user: ConnectionUser | undefined;
  private readonly pool: HostConnectionPool;

  constructor(pool: HostConnectionPool, socket: net.Socket, host: UpstreamHost) {
    this.pool = pool;
    this.socket = socket;
    this.host = host;
    socket.on('data', (chunk: Buffer) => {
      if (this.user) this.user.onData(chunk);
      // Bytes from an idle upstream: it is misbehaving; never reuse it.
      else if (this.state === 'idle') this.pool.destroyConnection(this);
    });
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onEnd());
    socket.on('drain', () => this.user?.onDrain());
  }

  private onEnd(): void {
    const user = this.user;
    this.user = undefined;
    if (user) user.onEnd();
    // A FIN from an idle upstream: it is going away; never reuse it.
    else if (this.state === 'idle') this.pool.destroyConnection(this);
  }

  attach(user: ConnectionUser): void {
    this.user = user;
  }

  release(): void {
    this.user = undefined;
    this.pool.release(this);
  }

  destroy(): void {
    this.user = undefined;
    this.pool.destroyConnection(this);
  }
}

export class HostConnectionPool implements ManagedPool {
  private readonly host: UpstreamHost;
  private readonly settings: PoolSettings;
  /** Idle connections; the most recently released is last and is reused first. */
  private readonly idle: Connection[] = [];
  private readonly connections = new Set<Connection>();
  private connecting = 0;
  /** Queued acquires, oldest first. */
  private readonly pending: Waiter[] = [];
  private draining = false;
  private closed = false;

  constructor(host: UpstreamHost, settings: PoolSettings) {
    this.host = host;
    this.settings = settings;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  acquire(callback: Callback): PendingAcquire {
    const waiter: Waiter = { callback, cancelled: false, done: false, queued: false };
    this.dispatch(waiter);
    return { cancel: () => this.cancel(waiter) };
  }

  drain(): void {
    this.draining = true;
    for (const conn of [...this.idle]) this.destroyConnection(conn);
    if (this.pending.length === 0) {
      for (const conn of this.connections) if (conn.state === 'connecting') this.destroyConnection(conn);
    }
  }

  close(): void {
    this.closed = true;
    const waiters = this.pending.splice(0);
    for (const waiter of waiters) this.unqueue(waiter);
    for (const conn of [...this.connections]) this.destroyConnection(conn);
    if (waiters.length > 0) queueMicrotask(() => this.failAll(waiters, 'connect_failure'));
  }

  /** @internal Called by a handed-out connection. */
  release(conn: Connection): void {
    this.endRequest(conn);
    if (conn.state !== 'busy') return;
    const socket = conn.socket;
    const max = this.settings.maxRequestsPerConnection;
    if (this.closed || socket.destroyed || !socket.writable || socket.readableEnded) {
      this.destroyConnection(conn);
    } else if (max > 0 && conn.requestsServed >= max) {
      this.settings.stats.upstream_cx_max_requests.inc();
      this.destroyConnection(conn);
    } else if (this.draining && this.pending.length === 0) {
      this.destroyConnection(conn);
    } else {
      this.makeIdle(conn);
      // Hand it to a queued acquire on a fresh stack, not inside the releasing caller's.
      if (this.pending.length > 0) queueMicrotask(() => this.servePending());
    }
  }

  /** @internal Closes a connection for good; bookkeeping happens at once, not on 'close'. */
  destroyConnection(conn: Connection): void {
    if (conn.state === 'closed') return;
    conn.closedLocally = true;
    this.finalize(conn);
    conn.socket.destroy();
  }

  private dispatch(waiter: Waiter): void {
    if (this.closed) {
      queueMicrotask(() => this.fail(waiter, 'connect_failure'));
      return;
    }
    const conn = this.idle.pop();
    if (conn) {
      this.leaveIdle(conn, 'reserved');
      // Never call back synchronously: the caller has not stored the PendingAcquire yet.
      // process.nextTick, not queueMicrotask: Node wraps each queued microtask in an AsyncResource.
      process.nextTick(() => this.deliverReserved(conn, waiter));
      return;
    }
    if (!this.settings.resources.pendingRequests.canCreate()) {
      queueMicrotask(() => this.fail(waiter, 'overflow'));
      return;
    }
    waiter.queued = true;
    this.settings.resources.pendingRequests.inc();
    this.pending.push(waiter);
    this.tryCreateConnections();
  }

  private deliverReserved(conn: Connection, waiter: Waiter): void {
    if (conn.state !== 'reserved') {
      // It closed between reservation and delivery: try again from the top.
      if (!waiter.cancelled) this.dispatch(waiter);
      return;
    }
    conn.state = 'busy';
    if (waiter.cancelled || !this.handTo(conn, waiter)) this.release(conn);
  }

  /** Hands a busy connection to `waiter`, or fails it with 'overflow' at max_requests. */
  private handTo(conn: Connection, waiter: Waiter): boolean {
    const requests = this.settings.resources.requests;
    if (!requests.canCreate()) {
      this.fail(waiter, 'overflow');
      return false;
    }
    requests.inc();
    conn.holdsRequest = true;
    conn.requestsServed++;
    this.host.stats.rq_total++;
    waiter.done = true;
    waiter.callback(undefined, conn);
    return true;
  }

  private endRequest(conn: Connection): void {
    if (!conn.holdsRequest) return;
    conn.holdsRequest = false;
    this.settings.resources.requests.dec();
  }

  private servePending(): void {
    while (this.pending.length > 0 && this.idle.length > 0) {
      const waiter = this.pending.shift()!;
      this.unqueue(waiter);
      const conn = this.idle.pop()!;
      this.leaveIdle(conn, 'busy');
      // An overflowed request leaves the connection unused: it goes back to idle.
      if (!this.handTo(conn, waiter)) this.makeIdle(conn);
    }
    if (this.pending.length > 0) this.tryCreateConnections();
  }

  private cancel(waiter: Waiter): void {
    if (waiter.done || waiter.cancelled) return;
    waiter.cancelled = true;
    const index = this.pending.indexOf(waiter);
    if (index >= 0) {
      this.pending.splice(index, 1);
      this.unqueue(waiter);
      this.settings.stats.upstream_rq_cancelled.inc();
    }
  }

  private unqueue(waiter: Waiter): void {
    if (!waiter.queued) return;
    waiter.queued = false;
    this.settings.resources.pendingRequests.dec();
  }

  private fail(waiter: Waiter, failure: PoolFailure): void {
    if (waiter.cancelled || waiter.done) return;
    waiter.done = true;
    waiter.callback(failure, undefined);
  }

  private failAll(waiters: readonly Waiter[], failure: PoolFailure): void {
    for (const waiter of waiters) this.fail(waiter, failure);
  }

  /** Opens connections while the queue outgrows the connections already being opened. */
  private tryCreateConnections(): void {
    const { resources, stats } = this.settings;
    while (this.pending.length > this.connecting && !this.closed) {
      const allowed = resources.connections.canCreate();
      if (!allowed) stats.upstream_cx_overflow.inc();
      // At the limit, a pool with no connection still opens one so its queue can drain.
      if (!allowed && this.connections.size > 0) return;
      this.createConnection();
      if (!allowed) return;
    }
  }

  private createConnection(): void {
    const { stats, resources } = this.settings;
    let socket: net.Socket;
    try {
      socket = this.settings.connect({ host: this.host.address, port: this.host.port });
    } catch {
      stats.upstream_cx_connect_fail.inc();
      this.host.stats.cx_connect_fail++;
      this.purgePending('connect_failure');
      return;
    }
    const conn = new Connection(this, socket, this.host);
    this.connections.add(conn);
    this.connecting++;
    stats.upstream_cx_total.inc();
    stats.upstream_cx_active.inc();
    resources.connections.inc();
    this.host.stats.cx_total++;
    this.host.stats.cx_active++;
    socket.on('error', () => {}); // the 'close' that follows does the work
    socket.once('close', () => this.finalize(conn));
    socket.once('connect', () => this.onConnected(conn));
    conn.connectTimer = setTimeout(() => this.onConnectTimeout(conn), this.settings.connectTimeoutMs);
  }

  private onConnectTimeout(conn: Connection): void {
    conn.connectTimer = undefined;
    if (conn.state !== 'connecting') return;
    this.settings.stats.upstream_cx_connect_timeout.inc();
    conn.timedOut = true;
    this.destroyConnection(conn);
  }

  private onConnected(conn: Connection): void {
    if (conn.state !== 'connecting') return;
    clearTimeout(conn.connectTimer);
    conn.connectTimer = undefined;
    this.connecting--;
    conn.connectedAt = performance.now();
    this.settings.stats.upstream_cx_connect_ms.record(conn.connectedAt - conn.startedAt);
    conn.socket.setNoDelay(true);
    if (this.closed || (this.draining && this.pending.length === 0)) {
      conn.state = 'busy';
      this.destroyConnection(conn);
      return;
    }
    this.makeIdle(conn);
    this.servePending();
  }

  private readonly onIdleTimeout = (conn: Connection): void => {
    if (conn.state !== 'idle') return;
    conn.idleTimer = undefined;
    this.settings.stats.upstream_cx_idle_timeout.inc();
    this.destroyConnection(conn);
  };

  private makeIdle(conn: Connection): void {
    conn.state = 'idle';
    const socket = conn.socket;
    // So unsolicited bytes or a FIN are seen, even if the last user paused it.
    if (socket.isPaused()) socket.resume();
    if (this.settings.idleTimeoutMs > 0) {
      // One timer per connection, re-armed on each return to the pool; it ignores busy states.
      if (conn.idleTimer) conn.idleTimer.refresh();
      else {
        conn.idleTimer = setTimeout(() => this.onIdleTimeout(conn), this.settings.idleTimeoutMs);
        conn.idleTimer.unref?.();
      }
    }
    this.idle.push(conn);
  }

  private leaveIdle(conn: Connection, next: State): void {
    const index = this.idle.lastIndexOf(conn);
    if (index >= 0) this.idle.splice(index, 1);
    conn.state = next;
  }

  private purgePending(failure: PoolFailure): void {
    const waiters = this.pending.splice(0);
    for (const waiter of waiters) {
      this.unqueue(waiter);
      this.settings.stats.upstream_rq_pending_failure_eject.inc();
    }
    // Asynchronously: a retry may acquire again, and must not be failed inline.
    if (waiters.length > 0) queueMicrotask(() => this.failAll(waiters, failure));
  }

  /** Bookkeeping for a connection that is gone, whoever closed it. Runs once. */
  private finalize(conn: Connection): void {
    if (conn.state === 'closed') return;
    const wasConnecting = conn.state === 'connecting';
    if (conn.state === 'idle') this.leaveIdle(conn, 'closed');
    conn.state = 'closed';
    this.endRequest(conn);
    clearTimeout(conn.connectTimer);
    clearTimeout(conn.idleTimer);
    conn.connectTimer = undefined;
    conn.idleTimer = undefined;
    this.connections.delete(conn);
    const { stats, resources } = this.settings;
    stats.upstream_cx_active.dec();
    stats.upstream_cx_destroy.inc();
    (conn.closedLocally ? stats.upstream_cx_destroy_local : stats.upstream_cx_destroy_remote).inc();
    if (conn.connectedAt > 0) stats.upstream_cx_length_ms.record(performance.now() - conn.connectedAt);
    resources.connections.dec();
    this.host.stats.cx_active--;
    if (wasConnecting) {
      this.connecting--;
      stats.upstream_cx_connect_fail.inc();
      this.host.stats.cx_connect_fail++;
      this.purgePending(conn.timedOut ? 'connect_timeout' : 'connect_failure');
    } else if (this.pending.length > 0) {
      // A connection slot freed up: queued acquires may now get one.
      this.tryCreateConnections();
    }
  }
}
