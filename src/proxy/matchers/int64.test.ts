import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInt64, parseUint64 } from './int64.js';

describe('absl::SimpleAtoi equivalents', () => {
  it('parses signed base-10 integers with surrounding whitespace', () => {
    assert.equal(parseInt64(' -12 '), -12n);
    assert.equal(parseInt64('+7'), 7n);
    assert.equal(parseInt64('9223372036854775807'), 2n ** 63n - 1n);
    for (const bad of ['', '1.5', '0x10', '1a', '9223372036854775808', '- 1'])
      assert.equal(parseInt64(bad), undefined, bad);
  });

  it('parses unsigned values up to 2^64-1 and refuses signs below zero', () => {
    assert.equal(parseUint64('18446744073709551615'), 2n ** 64n - 1n);
    assert.equal(parseUint64('-1'), undefined);
    assert.equal(parseUint64('18446744073709551616'), undefined);
  });
});
