import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Debouncer } from './debounce.js';
import type { PushRequest } from './push-request.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Debouncer', () => {
  it('releases one merged request after a quiet period', async () => {
    const flushed: { request: PushRequest; events: number }[] = [];
    const debouncer = new Debouncer({ afterMs: 40, maxMs: 5000, flush: (request, _ms, events) => flushed.push({ request, events }) });
    debouncer.add({ full: false, reason: ['endpoint'], edsUpdates: new Set(['a']) });
    debouncer.add({ full: false, reason: ['endpoint'], edsUpdates: new Set(['b']) });
    await sleep(15);
    assert.equal(flushed.length, 0, 'still inside the quiet period');
    await sleep(120);
    assert.equal(flushed.length, 1);
    assert.equal(flushed[0]!.events, 2);
    assert.deepEqual([...flushed[0]!.request.edsUpdates!].sort(), ['a', 'b']);
    assert.equal(typeof flushed[0]!.request.start, 'number');
  });

  it('releases at the maximum delay even while changes keep coming', async () => {
    const flushed: number[] = [];
    const debouncer = new Debouncer({ afterMs: 50, maxMs: 120, flush: (_r, ms) => flushed.push(ms) });
    const until = Date.now() + 300;
    while (Date.now() < until && flushed.length === 0) {
      debouncer.add({ full: true, reason: ['config'] });
      await sleep(10);
    }
    debouncer.stop();
    assert.equal(flushed.length, 1, 'changes every 10 ms never leave 50 ms of quiet: the 120 ms cap releases them');
    assert.ok(flushed[0]! >= 120, `released after ${flushed[0]} ms`);
  });
});
