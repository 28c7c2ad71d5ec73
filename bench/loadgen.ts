/**
 * Open-loop fixed-rate HTTP/1.1 load generator (wrk2's rule, on raw `net` sockets).
 *
 * Request i is due at t0 + i/R whatever happened before it. Its latency is completion minus
 * that intended time, so a stalled server is charged for the requests it held up
 * (coordinated-omission correction). A fixed set of keep-alive connections carries one
 * request each at a time; a due request takes whichever connection is free or waits in a
 * queue, and when requests in flight plus queued reach the cap it is dropped and counted.
 * Requests due during the warm-up are sent but not recorded.
 */
import net from 'node:net';
import { Histogram, type HistogramSummary } from './histogram.js';
import { type ResponseHead, ResponseReader } from './http-response-reader.js';
import { startTicker } from './ticker.js';
import { requestBytes } from './workload.js';

export interface LoadgenConfig {
  host: string;
  port: number;
  path: string;
  /** Requests per second, total over all connections. */
  rate: number;
  warmupSeconds: number;
  durationSeconds: number;
  connections: number;
  /** In flight + queued; a due request beyond this is dropped. */
  maxOutstanding: number;
  /** How long to wait for the last responses after the schedule ends. */
  drainSeconds: number;
}

export interface LoadgenCounts {
  /** Measured requests due (sent + dropped). */
  scheduled: number;
  completed: number;
  /** Socket errors, resets and malformed responses. */
  errors: number;
  /** Completed with a status outside 200–399. */
  non2xx: number;
  drops: number;
  /** Still outstanding when the drain time ran out. */
  unfinished: number;
}

export interface LoadgenResult {
  config: LoadgenConfig;
  counts: LoadgenCounts;
  /** Measured window, seconds, from its first due time to the last completion. */
  measuredSeconds: number;
  achievedRps: number;
  /** Completed requests including the warm-up, for per-request resource figures. */
  totalCompleted: number;
  /** Nanoseconds: completion − intended send time (the headline). */
  latency: HistogramSummary;
  /** Nanoseconds: completion − actual write ("request start to response end"). */
  service: HistogramSummary;
  /** Nanoseconds: actual write − intended time (the generator's own lag plus queueing). */
  sendLag: HistogramSummary;
  /** Share of one core the generator process used from t0 to the end (keep below ~0.7). */
  generatorCpu: number;
  errorSamples: string[];
}

interface Connection {
  socket: net.Socket;
  reader: ResponseReader;
  /** Index of the request in flight, or -1. */
  inflight: number;
  sentAtNs: number;
  lastError: string | null;
}

/** The ticker wakes the main thread at most this often; every due request is sent on each wake. */
const MIN_TICK_GAP_NS = 50_000;

export async function runOpenLoop(config: LoadgenConfig): Promise<LoadgenResult> {
  const baseNs = process.hrtime.bigint();
  const now = (): number => Number(process.hrtime.bigint() - baseNs);
  const request = requestBytes(config.path);
  const periodNs = 1e9 / config.rate;
  const warmupCount = Math.floor(config.rate * config.warmupSeconds);
  const total = warmupCount + Math.floor(config.rate * config.durationSeconds);
  const counts: LoadgenCounts = { scheduled: 0, completed: 0, errors: 0, non2xx: 0, drops: 0, unfinished: 0 };
  const latency = new Histogram();
  const service = new Histogram();
  const sendLag = new Histogram();
  const errorSamples: string[] = [];
  const idle: Connection[] = [];
  const queue: number[] = [];
  let queueHead = 0;
  let inflight = 0;
  let next = 0;
  /** Due time of request 0; set once every connection is open. */
  let t0 = 0;
  let started = false;
  let lastCompletionNs = 0;
  let totalCompleted = 0;
  let stopping = false;
  let onSettled: (() => void) | null = null;
  const open = new Set<Connection>();

  const measured = (index: number): boolean => index >= warmupCount;
  const intendedNs = (index: number): number => t0 + index * periodNs;

  const noteError = (index: number, message: string): void => {
    if (index >= 0 && measured(index)) counts.errors += 1;
    if (errorSamples.length < 5 && !errorSamples.includes(message)) errorSamples.push(message);
  };

  const send = (conn: Connection, index: number): void => {
    conn.inflight = index;
    conn.sentAtNs = now();
    inflight += 1;
    conn.socket.write(request);
  };

  const release = (conn: Connection): void => {
    if (queueHead < queue.length) {
      send(conn, queue[queueHead++]!);
      if (queueHead > 4096 && queueHead * 2 > queue.length) {
        queue.splice(0, queueHead);
        queueHead = 0;
      }
    } else idle.push(conn);
  };

  const onResponse = (conn: Connection, head: ResponseHead): void => {
    const done = now();
    const index = conn.inflight;
    conn.inflight = -1;
    inflight -= 1;
    totalCompleted += 1;
    if (measured(index)) {
      counts.completed += 1;
      if (head.status < 200 || head.status >= 400) counts.non2xx += 1;
      latency.record(done - intendedNs(index));
      service.record(done - conn.sentAtNs);
      sendLag.record(conn.sentAtNs - intendedNs(index));
      lastCompletionNs = done;
    }
    if (!head.keepAlive) {
      replace(conn);
      settle();
      return;
    }
    release(conn);
    pump();
    settle();
  };

  /** Forgets the request in flight on `conn` after a failure, counting it as an error. */
  const fail = (conn: Connection, message: string): void => {
    if (conn.inflight < 0) return;
    noteError(conn.inflight, message);
    conn.inflight = -1;
    inflight -= 1;
    settle();
  };

  const connect = (): Promise<Connection> =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: config.host, port: config.port, noDelay: true });
      const conn: Connection = {
        socket,
        reader: new ResponseReader(),
        inflight: -1,
        sentAtNs: 0,
        lastError: null,
      };
      let connected = false;
      socket.once('connect', () => {
        connected = true;
        open.add(conn);
        resolve(conn);
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          conn.reader.feed(chunk, (head) => onResponse(conn, head));
        } catch (err) {
          fail(conn, err instanceof Error ? err.message : String(err));
          replace(conn);
        }
      });
      socket.on('error', (err) => {
        if (!connected) reject(err);
        else conn.lastError = err.message;
      });
      socket.on('close', () => {
        if (!connected || !open.has(conn)) return;
        fail(conn, conn.lastError ?? 'connection closed with a request in flight');
        replace(conn);
      });
    });

  /** Drops a dead or closing connection and opens a fresh one in its place. */
  const replace = (conn: Connection): void => {
    if (!open.delete(conn)) return;
    conn.socket.destroy();
    const at = idle.indexOf(conn);
    if (at >= 0) idle.splice(at, 1);
    if (stopping) return;
    const retry = (): void => {
      connect().then(
        (fresh) => {
          if (stopping) fresh.socket.destroy();
          else {
            release(fresh);
            pump();
          }
        },
        (err: Error) => {
          noteError(-1, `reconnect: ${err.message}`);
          if (!stopping) setTimeout(retry, 10);
        },
      );
    };
    retry();
  };

  const dispatch = (index: number): void => {
    if (measured(index)) counts.scheduled += 1;
    if (inflight + (queue.length - queueHead) >= config.maxOutstanding) {
      if (measured(index)) counts.drops += 1;
      return;
    }
    const conn = idle.pop();
    if (conn) send(conn, index);
    else queue.push(index);
  };

  /** Sends every request whose due time has come; the schedule never runs early. */
  const pump = (): void => {
    if (!started || next >= total) return;
    const due = Math.min(total, Math.floor((now() - t0) / periodNs) + 1);
    while (next < due) dispatch(next++);
  };

  const tick = (): void => {
    pump();
    settle();
  };

  const settle = (): void => {
    if (next >= total && inflight === 0 && queueHead >= queue.length) onSettled?.();
  };

  for (let i = 0; i < config.connections; i++) idle.push(await connect());
  t0 = now() + 20e6;
  started = true;
  const cpuAtStart = process.cpuUsage();
  const ticker = startTicker({ baseNs, t0Ns: t0, periodNs, count: total, minGapNs: MIN_TICK_GAP_NS }, tick);

  const scheduleEndNs = intendedNs(total);
  await new Promise<void>((resolve) => {
    const drainDeadline = (scheduleEndNs - now()) / 1e6 + config.drainSeconds * 1000;
    const timeout = setTimeout(resolve, Math.max(0, drainDeadline));
    onSettled = () => {
      clearTimeout(timeout);
      resolve();
    };
  });
  stopping = true;
  const cpu = process.cpuUsage(cpuAtStart);
  const generatorCpu = (cpu.user + cpu.system) / 1e6 / ((now() - t0) / 1e9);
  await ticker.stop();
  for (const conn of open) {
    if (conn.inflight >= 0 && measured(conn.inflight)) counts.unfinished += 1;
  }
  for (let i = queueHead; i < queue.length; i++) if (measured(queue[i]!)) counts.unfinished += 1;
  for (const conn of [...open]) {
    open.delete(conn);
    conn.socket.destroy();
  }

  const measuredStart = intendedNs(warmupCount);
  const measuredSeconds = Math.max(scheduleEndNs, lastCompletionNs) / 1e9 - measuredStart / 1e9;
  return {
    config,
    counts,
    measuredSeconds,
    achievedRps: measuredSeconds > 0 ? counts.completed / measuredSeconds : 0,
    totalCompleted,
    latency: latency.summary(),
    service: service.summary(),
    sendLag: sendLag.summary(),
    generatorCpu,
    errorSamples,
  };
}
