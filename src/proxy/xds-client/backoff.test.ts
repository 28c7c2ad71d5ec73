import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JitteredExponentialBackoff } from './backoff.js';

describe('JitteredExponentialBackoff (Envoy xDS retry)', () => {
  it('waits below an interval that doubles from 500 ms up to 30 s, and resets', () => {
    const top = new JitteredExponentialBackoff(undefined, undefined, () => 0.999999);
    const delays = Array.from({ length: 9 }, () => top.nextBackoffMs());
    assert.deepEqual(delays, [499, 999, 1999, 3999, 7999, 15999, 29999, 29999, 29999]);
    top.reset();
    assert.equal(top.nextBackoffMs(), 499);
    const bottom = new JitteredExponentialBackoff(500, 30_000, () => 0);
    assert.equal(bottom.nextBackoffMs(), 0, 'full jitter: anywhere from 0');
  });
});
