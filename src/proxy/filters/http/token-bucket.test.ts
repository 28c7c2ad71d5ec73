import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from './token-bucket.js';

describe('token bucket', () => {
  it('starts full, refills continuously at tokens_per_fill per fill_interval, up to max_tokens', () => {
    let now = 1000;
    const bucket = new TokenBucket(3, 3, 600, () => now);
    assert.deepEqual([1, 2, 3, 4].map(() => bucket.consume()), [true, true, true, false]);
    assert.equal(bucket.remainingTokens(), 0);
    now += 200; // a third of the interval: one token back
    assert.equal(bucket.remainingTokens(), 1);
    assert.equal(bucket.consume(), true);
    assert.equal(bucket.consume(), false);
    now += 10_000;
    assert.equal(bucket.remainingTokens(), 3);
  });

  it('reports x-ratelimit-reset as Envoy does: 0 while a token is left, else whole seconds per token', () => {
    const now = 0;
    const slow = new TokenBucket(1, 1, 5000, () => now);
    assert.equal(slow.resetSeconds(), 0);
    slow.consume();
    assert.equal(slow.resetSeconds(), 5);
    const fast = new TokenBucket(1, 2, 1000, () => now);
    fast.consume();
    assert.equal(fast.resetSeconds(), 0); // 500 ms per token rounds down to 0 s
  });
});
