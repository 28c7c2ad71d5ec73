import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, afterEach, before, describe, it, mock } from 'node:test';
import { StatsStore } from '../stats/stats.js';
import { type ClusterStats, clusterStatsScope, createClusterStats } from './cluster-stats.js';
import { type ConnectFn, defaultConnect, HostConnectionPool } from './conn-pool.js';
import { UpstreamHost } from './host.js';
import { createResourceManagers } from './resource-manager.js';
import type { PooledConnection, PoolFailure } from './types.js';

interface Harness {
  pool: HostConnectionPool;
  stats: ClusterStats;
  host: UpstreamHost;
}

function makePool(
  port: number,
  options: {
    idleTimeoutMs?: number;
    maxRequestsPerConnection?: number;
    connect?: ConnectFn;
    connectTimeoutMs?: number;
    thresholds?: object;
  } = {},
): Harness {
  const scope = clusterStatsScope(new StatsStore().root(), 'pool');
  const stats = createClusterStats(scope);
  const resources = createResourceManagers(
    scope,
    options.thresholds
      ? [{ priority: 'DEFAULT', track_remaining: false, ...options.thresholds } as never]
      : [],
  );
  let pool!: HostConnectionPool;
  const host = new UpstreamHost(
    {
      address: '127.0.0.1',
      port,
      hostname: '',
      weight: 1,
      priority: 0,
      locality: '',
      healthStatus: 'HEALTHY',
    },
    (h) => {
      pool = new HostConnectionPool(h, {
        connectTimeoutMs: options.connectTimeoutMs ?? 1000,
        idleTimeoutMs: options.idleTimeoutMs ?? 0,
        maxRequestsPerConnection: options.maxRequestsPerConnection ?? 0,
        stats,
        resources: resources.default,
        connect: options.connect ?? defaultConnect,
      });
      return pool;
    },
  );
  return { pool, stats, host };
}

function acquire(pool: HostConnectionPool): Promise<PooledConnection> {
  return new Promise((resolve, reject) => {
    pool.acquire((err, conn) => (err || !conn ? reject(new Error(err)) : resolve(conn)));
  });
}

function acquireFailure(pool: HostConnectionPool): Promise<PoolFailure | undefined> {
  return new Promise((resolve) => {
    pool.acquire((err, conn) => {
      conn?.destroy();
      resolve(err);
    });
  });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A socket that never connects and does no I/O: stands in for an unreachable address. */
const blackhole: ConnectFn = () => new net.Socket();

describe('HostConnectionPool', () => {
  let server: net.Server;
  let port: number;
  const serverSockets: net.Socket[] = [];

  before(async () => {
    server = net.createServer((socket) => {
      serverSockets.push(socket);
      socket.on('error', () => {});
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
  });

  after(() => {
    for (const s of serverSockets) s.destroy();
    server.close();
  });

  afterEach(() => {
    mock.timers.reset();
  });

  it('reuses idle connections most recently released first, with TCP_NODELAY', async () => {
    const noDelay: boolean[] = [];
    const { pool, stats, host } = makePool(port, {
      connect: (o) => {
        const socket = defaultConnect(o);
        const original = socket.setNoDelay.bind(socket);
        socket.setNoDelay = (value?: boolean) => {
          noDelay.push(value ?? true);
          return original(value);
        };
        return socket;
      },
    });
    const a = await acquire(pool);
    const b = await acquire(pool);
    assert.notEqual(a.socket, b.socket);
    assert.equal(stats.upstream_cx_total.value, 2);
    assert.equal(stats.upstream_cx_active.value, 2);
    assert.deepEqual(noDelay, [true, true]);
    a.release();
    b.release();
    const c = await acquire(pool);
    assert.equal(c.socket, b.socket, 'LIFO');
    assert.equal(c.requestsServed, 2);
    assert.equal(c.host, host);
    assert.equal(stats.upstream_cx_total.value, 2, 'no new connection');
    c.release();
    pool.close();
    await tick();
    assert.equal(stats.upstream_cx_active.value, 0);
    assert.equal(stats.upstream_cx_destroy.value, 2);
  });

  it('never calls back synchronously, even with an idle connection', async () => {
    const { pool } = makePool(port);
    (await acquire(pool)).release();
    let called = false;
    const pending = pool.acquire((_err, conn) => {
      called = true;
      conn?.release();
    });
    assert.equal(called, false);
    assert.ok(pending);
    await tick();
    assert.equal(called, true);
    pool.close();
  });

  it('closes a connection idle past the idle timeout', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { pool, stats } = makePool(port, { idleTimeoutMs: 60_000 });
    const conn = await acquire(pool);
    conn.release();
    mock.timers.tick(59_999);
    assert.equal(stats.upstream_cx_idle_timeout.value, 0);
    mock.timers.tick(1);
    assert.equal(stats.upstream_cx_idle_timeout.value, 1);
    assert.equal(pool.connectionCount, 0);
    assert.ok(conn.socket.destroyed);
    // A reused connection's idle timer is cleared while it is in use.
    const next = await acquire(pool);
    mock.timers.tick(120_000);
    assert.equal(next.socket.destroyed, false);
    next.release();
    pool.close();
  });

  it('destroys an idle connection that receives unsolicited bytes', async () => {
    const { pool, stats } = makePool(port);
    const conn = await acquire(pool);
    await tick();
    const serverSide = serverSockets.at(-1)!;
    conn.release();
    serverSide.write('HTTP/1.1 200 OK\r\n\r\n');
    await once(conn.socket, 'close');
    assert.equal(pool.connectionCount, 0);
    assert.equal(stats.upstream_cx_destroy_local.value, 1);
    const fresh = await acquire(pool);
    assert.notEqual(fresh.socket, conn.socket);
    fresh.release();
    pool.close();
  });

  it('drops an idle connection the upstream closes', async () => {
    const { pool, stats } = makePool(port);
    const conn = await acquire(pool);
    await tick();
    conn.release();
    serverSockets.at(-1)!.end();
    await once(conn.socket, 'close');
    assert.equal(pool.connectionCount, 0);
    assert.equal(stats.upstream_cx_destroy.value, 1);
    pool.close();
  });

  it('fails with connect_failure when the port is closed', async () => {
    const closed = net.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const closedPort = (closed.address() as net.AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const { pool, stats, host } = makePool(closedPort);
    assert.equal(await acquireFailure(pool), 'connect_failure');
    assert.equal(stats.upstream_cx_connect_fail.value, 1);
    assert.equal(stats.upstream_rq_pending_failure_eject.value, 1);
    assert.equal(host.stats.cx_connect_fail, 1);
    assert.equal(pool.connectionCount, 0);
  });

  it('fails every queued acquire with connect_timeout after connect_timeout', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const { pool, stats } = makePool(port, { connect: blackhole, connectTimeoutMs: 250 });
    const first = acquireFailure(pool);
    const second = acquireFailure(pool);
    assert.equal(stats.upstream_cx_total.value, 2, 'one connection per queued acquire');
    mock.timers.tick(250);
    assert.deepEqual(await Promise.all([first, second]), ['connect_timeout', 'connect_timeout']);
    assert.equal(stats.upstream_cx_connect_timeout.value, 2);
    assert.equal(stats.upstream_cx_connect_fail.value, 2);
    assert.equal(stats.upstream_cx_active.value, 0);
  });

  it('closes a connection once it served max_requests_per_connection', async () => {
    const { pool, stats } = makePool(port, { maxRequestsPerConnection: 2 });
    const first = await acquire(pool);
    first.release();
    const second = await acquire(pool);
    assert.equal(second.socket, first.socket);
    second.release();
    assert.ok(first.socket.destroyed);
    assert.equal(stats.upstream_cx_max_requests.value, 1);
    const third = await acquire(pool);
    assert.notEqual(third.socket, first.socket);
    third.release();
    pool.close();
  });

  it('fails with overflow past max_pending_requests', async () => {
    const { pool } = makePool(port, {
      connect: blackhole,
      thresholds: { max_pending_requests: { value: 1 } },
    });
    let firstResult: PoolFailure | undefined | 'pending' = 'pending';
    pool.acquire((err) => {
      firstResult = err;
    });
    assert.equal(await acquireFailure(pool), 'overflow');
    assert.equal(firstResult, 'pending');
    pool.close();
    await tick();
    assert.equal(firstResult, 'connect_failure');
  });

  it('fails with overflow at max_requests when a connection would be handed out', async () => {
    const { pool, host } = makePool(port, { thresholds: { max_requests: { value: 1 } } });
    const first = await acquire(pool);
    // Queued (pending is not full), connected, then refused at hand-out: Envoy's attachStreamToClient.
    assert.equal(await acquireFailure(pool), 'overflow');
    assert.equal(host.stats.rq_total, 1);
    first.release();
    const second = await acquire(pool); // the slot is free again
    second.destroy(); // destroying frees it too
    const third = await acquire(pool);
    third.release();
    pool.close();
  });

  it('queues for a connection at max_connections instead of opening more', async () => {
    const { pool, stats } = makePool(port, { thresholds: { max_connections: { value: 1 } } });
    const first = await acquire(pool);
    const second = acquire(pool);
    await tick();
    assert.equal(stats.upstream_cx_total.value, 1);
    assert.equal(stats.upstream_cx_overflow.value, 1);
    first.release();
    const got = await second;
    assert.equal(got.socket, first.socket);
    got.release();
    pool.close();
  });

  it('never calls back a cancelled acquire', async () => {
    const { pool, stats } = makePool(port);
    let called = false;
    const pending = pool.acquire(() => {
      called = true;
    });
    pending.cancel();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(called, false);
    assert.equal(stats.upstream_rq_cancelled.value, 1);
    // The connection it started still completes and is kept for the next acquire.
    assert.equal(pool.idleCount, 1);
    const conn = await acquire(pool);
    assert.equal(stats.upstream_cx_total.value, 1);
    conn.release();
    pool.close();
  });

  it('on drain, closes idle connections now and busy ones when released', async () => {
    const { pool } = makePool(port);
    const idle = await acquire(pool);
    const busy = await acquire(pool);
    idle.release();
    pool.drain();
    assert.ok(idle.socket.destroyed);
    assert.equal(busy.socket.destroyed, false);
    busy.socket.write('still usable');
    busy.release();
    assert.ok(busy.socket.destroyed);
    assert.equal(pool.connectionCount, 0);
  });
});
