import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { type LoadgenConfig, runOpenLoop } from './loadgen.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

async function withServer<T>(handler: Handler, body: (port: number) => Promise<T>): Promise<T> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await body((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const reply = (res: http.ServerResponse, extra: Record<string, string> = {}): void => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2', ...extra }).end('ok');
};

const config = (port: number, over: Partial<LoadgenConfig>): LoadgenConfig => ({
  host: '127.0.0.1',
  port,
  path: '/p/1kb',
  rate: 500,
  warmupSeconds: 0.1,
  durationSeconds: 0.6,
  connections: 4,
  maxOutstanding: 1000,
  drainSeconds: 1,
  ...over,
});

describe('open-loop load generator', () => {
  it('holds the rate and completes every request', async () => {
    const r = await withServer(
      (_req, res) => reply(res),
      (port) => runOpenLoop(config(port, {})),
    );
    assert.deepEqual(r.counts, {
      scheduled: 300,
      completed: 300,
      errors: 0,
      non2xx: 0,
      drops: 0,
      unfinished: 0,
    });
    assert.ok(Math.abs(r.achievedRps - 500) < 50, `achieved ${r.achievedRps}`);
    assert.equal(r.totalCompleted, 350);
  });

  it('charges a stall to every request scheduled during it (coordinated omission)', async () => {
    let stallUntil = 0;
    let stallFrom = 0;
    const r = await withServer(
      (_req, res) => {
        const t = Date.now();
        if (stallFrom === 0) {
          stallFrom = t + 300;
          stallUntil = stallFrom + 200;
        }
        if (t >= stallFrom && t < stallUntil) setTimeout(() => reply(res), stallUntil - t);
        else reply(res);
      },
      (port) => runOpenLoop(config(port, { warmupSeconds: 0, durationSeconds: 1 })),
    );
    assert.equal(r.counts.completed, 500);
    // ~100 requests were due during the 200 ms stall: their latency runs from intended send time.
    assert.ok(r.latency.p90 >= 50e6, `corrected p90 ${r.latency.p90 / 1e6} ms`);
    // Only the 4 requests on the wire saw the stall as service time.
    assert.ok(r.service.p90 < 20e6, `service p90 ${r.service.p90 / 1e6} ms`);
  });

  it('reconnects when the server closes connections', async () => {
    const r = await withServer(
      (_req, res) => reply(res, { connection: 'close' }),
      (port) => runOpenLoop(config(port, { rate: 200 })),
    );
    assert.equal(r.counts.completed, 120);
    assert.equal(r.counts.errors, 0);
  });

  it('drops requests beyond the outstanding cap and counts the unanswered', async () => {
    const r = await withServer(
      () => {}, // never answers
      (port) =>
        runOpenLoop(
          config(port, {
            rate: 200,
            warmupSeconds: 0,
            durationSeconds: 0.3,
            maxOutstanding: 10,
            drainSeconds: 0.2,
          }),
        ),
    );
    assert.equal(r.counts.scheduled, 60);
    assert.equal(r.counts.drops, 50);
    assert.equal(r.counts.unfinished, 10);
    assert.equal(r.counts.completed, 0);
  });
});
