import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PushQueue } from './push-queue.js';
import type { PushRequest } from './push-request.js';

/** A push that stays in flight until released. */
function controlledPushes() {
  const started: { connection: string; request: PushRequest; release: () => void }[] = [];
  const push = (connection: string, request: PushRequest) =>
    new Promise<void>((resolve) => started.push({ connection, request, release: resolve }));
  return { started, push };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('PushQueue', () => {
  it('merges a newer request into the pending one: one push per connection', () => {
    const { started, push } = controlledPushes();
    const queue = new PushQueue<string>({ throttle: 1, push });
    queue.enqueue('a', { full: false, reason: ['endpoint'], edsUpdates: new Set(['x']) });
    queue.enqueue('b', { full: false, reason: ['endpoint'], edsUpdates: new Set(['x']) });
    queue.enqueue('b', { full: false, reason: ['endpoint'], edsUpdates: new Set(['y']) });
    queue.enqueue('b', { full: true, reason: ['config'] });
    assert.equal(started.length, 1, 'throttle 1: only a is in flight');
    assert.equal(queue.size, 1);
    started[0]!.release();
    return tick().then(() => {
      assert.equal(started.length, 2);
      assert.equal(started[1]!.connection, 'b');
      assert.equal(started[1]!.request.full, true);
      assert.deepEqual(started[1]!.request.reason, ['endpoint', 'config']);
    });
  });

  it('pushes a connection again when it is enqueued while being pushed', async () => {
    const { started, push } = controlledPushes();
    const queue = new PushQueue<string>({ throttle: 10, push });
    queue.enqueue('a', { full: true, reason: ['config'] });
    queue.enqueue('a', { full: false, reason: ['endpoint'] });
    assert.equal(started.length, 1, 'never two pushes of one connection at once');
    started[0]!.release();
    await tick();
    assert.equal(started.length, 2);
    assert.deepEqual(started[1]!.request.reason, ['endpoint']);
  });

  it('keeps at most `throttle` pushes in flight and skips removed connections', async () => {
    const { started, push } = controlledPushes();
    const queue = new PushQueue<string>({ throttle: 2, push });
    for (const c of ['a', 'b', 'c', 'd']) queue.enqueue(c, { full: true, reason: ['config'] });
    queue.remove('c');
    assert.deepEqual(started.map((s) => s.connection), ['a', 'b']);
    assert.equal(queue.active, 2);
    started[0]!.release();
    await tick();
    assert.deepEqual(started.map((s) => s.connection), ['a', 'b', 'd']);
  });
});
