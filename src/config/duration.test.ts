import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGoDuration } from './duration.js';

describe("Go's time.ParseDuration syntax (Istio durations)", () => {
  it('parses units, fractions, combinations and signs', () => {
    const nanos = (s: string): number | string => {
      const r = parseGoDuration(s);
      return r.ok ? r.nanos : r.error;
    };
    assert.equal(nanos('0'), 0);
    assert.equal(nanos('0.5s'), 500e6);
    assert.equal(nanos('1h30m'), 5400e9);
    assert.equal(nanos('250ms'), 250e6);
    assert.equal(nanos('2us'), 2000);
    assert.equal(nanos('-1.5m'), -90e9);
    assert.equal(nanos('.5s'), 500e6);
  });
  it("rejects what Go rejects, with Go's messages", () => {
    assert.deepEqual(parseGoDuration('10'), { ok: false, error: 'time: missing unit in duration "10"' });
    assert.deepEqual(parseGoDuration('10d'), { ok: false, error: 'time: unknown unit "d" in duration "10d"' });
    assert.deepEqual(parseGoDuration(''), { ok: false, error: 'time: invalid duration ""' });
    assert.deepEqual(parseGoDuration('s'), { ok: false, error: 'time: invalid duration "s"' });
  });
});
