import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EdfScheduler } from './edf-scheduler.js';

describe('EdfScheduler', () => {
  it('picks entries in proportion to their weights, interleaved', () => {
    const edf = new EdfScheduler<string>();
    const weights: Record<string, number> = { a: 1, b: 2, c: 3 };
    for (const [item, weight] of Object.entries(weights)) edf.add(weight, item);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const sequence: string[] = [];
    for (let i = 0; i < 600; i++) {
      const item = edf.pickAndAdd((x) => weights[x]!)!;
      counts[item]!++;
      if (i < 6) sequence.push(item);
    }
    assert.deepEqual(counts, { a: 100, b: 200, c: 300 });
    // Within one cycle of 6, every entry appears as often as its weight.
    assert.deepEqual(sequence.sort(), ['a', 'b', 'b', 'c', 'c', 'c']);
  });

  it('breaks deadline ties in insertion order and skips zero weights', () => {
    const edf = new EdfScheduler<string>();
    edf.add(1, 'x');
    edf.add(1, 'y');
    edf.add(0, 'never');
    assert.equal(edf.size, 2);
    assert.deepEqual(
      [0, 1, 2, 3].map(() => edf.pickAndAdd(() => 1)),
      ['x', 'y', 'x', 'y'],
    );
  });

  it('uses the weight current at re-add time', () => {
    const edf = new EdfScheduler<string>();
    const weights: Record<string, number> = { a: 1, b: 1 };
    edf.add(1, 'a');
    edf.add(1, 'b');
    weights['a'] = 9;
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 1000; i++) counts[edf.pickAndAdd((x) => weights[x]!)!]!++;
    assert.ok(counts['a']! > 8 * counts['b']!, JSON.stringify(counts));
  });
});
