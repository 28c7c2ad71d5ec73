import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { versionGaugeValue, xxHash64 } from './version-hash.js';

describe('xxHash64', () => {
  it('matches the reference XXH64 vectors (seed 0)', () => {
    assert.equal(xxHash64('').toString(16), 'ef46db3751d8e999');
    assert.equal(xxHash64('abc').toString(16), '44bc2cf5ad770999');
    assert.equal(xxHash64('Nobody inspects the spammish repetition').toString(16), 'fbcea83c8a378bf1');
    assert.equal(versionGaugeValue('abc'), Number(0x44bc2cf5ad770999n & ((1n << 53n) - 1n)));
  });
});
