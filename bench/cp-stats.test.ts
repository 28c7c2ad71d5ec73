import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mean, percentile, splitEvenly, summarize } from './cp-stats.js';

describe('percentile (nearest rank)', () => {
  it('returns measured values, never interpolations', () => {
    const values = Array.from({ length: 10 }, (_, i) => (10 - i) * 10); // 100, 90, …, 10 (unsorted input)
    assert.equal(percentile(values, 50), 50);
    assert.equal(percentile(values, 90), 90);
    assert.equal(percentile(values, 91), 100);
    assert.equal(percentile(values, 100), 100);
    assert.equal(percentile(values, 1), 10);
  });

  it('takes the only sample for every p, and NaN for no samples', () => {
    assert.equal(percentile([7], 1), 7);
    assert.equal(percentile([7], 99), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  it('rejects percentiles outside (0, 100]', () => {
    assert.throws(() => percentile([1], 0), RangeError);
    assert.throws(() => percentile([1], 101), RangeError);
  });

  it('does not reorder the caller’s array', () => {
    const values = [3, 1, 2];
    percentile(values, 50);
    assert.deepEqual(values, [3, 1, 2]);
  });
});

describe('summarize', () => {
  it('gives n, p50, p90, p99, max and mean of 1..1000', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    assert.deepEqual(summarize(values), { n: 1000, p50: 500, p90: 900, p99: 990, max: 1000, mean: 500.5 });
  });

  it('is all NaN but n for no samples', () => {
    const s = summarize([]);
    assert.equal(s.n, 0);
    assert.ok(Number.isNaN(s.p90) && Number.isNaN(s.max) && Number.isNaN(mean([])));
  });
});

describe('splitEvenly', () => {
  it('covers every item once, in ranges differing by at most one', () => {
    const ranges = splitEvenly(2001, 2);
    assert.deepEqual(ranges, [
      [0, 1000],
      [1000, 2001],
    ]);
  });

  it('never makes more parts than items, nor fewer than one', () => {
    assert.deepEqual(splitEvenly(1, 2), [[0, 1]]);
    assert.deepEqual(splitEvenly(5, 0), [[0, 5]]);
  });
});
