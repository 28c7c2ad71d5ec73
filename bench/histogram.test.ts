import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram } from './histogram.js';

describe('Histogram', () => {
  it('reports percentiles of a uniform range within 0.4 %', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100_000; v++) h.record(v * 1000);
    for (const [p, expected] of [
      [50, 50_000_000],
      [90, 90_000_000],
      [99, 99_000_000],
      [99.9, 99_900_000],
    ] as const) {
      const got = h.percentile(p);
      assert.ok(Math.abs(got - expected) / expected <= 0.004, `p${p}: ${got} vs ${expected}`);
    }
    assert.equal(h.max, 100_000_000);
    assert.equal(h.min, 1000);
    assert.equal(h.count, 100_000);
  });

  it('counts small values exactly and never reports past the max', () => {
    const h = new Histogram();
    for (const v of [0, 1, 2, 3, 255]) h.record(v);
    assert.equal(h.percentile(20), 0);
    assert.equal(h.percentile(40), 1);
    assert.equal(h.percentile(100), 255);
    const one = new Histogram();
    one.record(123_456_789);
    assert.equal(one.percentile(50), 123_456_789);
  });

  it('merges histograms', () => {
    const a = new Histogram();
    const b = new Histogram();
    a.record(1_000_000);
    b.record(3_000_000);
    b.record(5_000_000);
    a.add(b);
    const s = a.summary();
    assert.equal(s.count, 3);
    assert.equal(s.max, 5_000_000);
    assert.ok(Math.abs(s.p50 - 3_000_000) / 3_000_000 < 0.004);
    assert.equal(s.mean, 3_000_000);
  });
});
