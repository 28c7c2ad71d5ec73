import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asciiLower, endsWithIgnoreCase, equalsIgnoreCase, startsWithIgnoreCase } from './ascii.js';

describe('ascii case folding', () => {
  it('folds A-Z only and returns the same string when nothing folds', () => {
    assert.equal(asciiLower('Secret.COM'), 'secret.com');
    const lower = 'already-lower';
    assert.equal(asciiLower(lower), lower);
    assert.equal(asciiLower('ÄB'), 'Äb'); // non-ASCII letters are compared exactly, as absl does
  });

  it('compares prefixes, suffixes and whole strings ignoring ASCII case', () => {
    assert.ok(startsWithIgnoreCase('/API/v1', '/api'));
    assert.ok(!startsWithIgnoreCase('/ap', '/api'));
    assert.ok(endsWithIgnoreCase('Foo.JSON', '.json'));
    assert.ok(equalsIgnoreCase('GET', 'get'));
    assert.ok(!equalsIgnoreCase('Ä', 'ä'));
  });
});
