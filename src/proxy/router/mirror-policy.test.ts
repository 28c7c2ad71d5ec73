import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shadowAuthority } from './mirror-policy.js';

describe('shadow authority', () => {
  it('appends -shadow to the host name, before any port', () => {
    assert.equal(shadowAuthority('reviews'), 'reviews-shadow');
    assert.equal(shadowAuthority('reviews:9080'), 'reviews-shadow:9080');
    assert.equal(shadowAuthority('[::1]:80'), '[::1]-shadow:80');
    assert.equal(shadowAuthority('[::1]'), '[::1]-shadow');
  });
});
