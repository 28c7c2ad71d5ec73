import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unescapeSlashes } from './escaped-slashes.js';
import { pathWithoutQuery, queryStart } from './path-parts.js';

describe('unescapeSlashes (PathUtil::unescapeSlashes)', () => {
  // The cases of Envoy's PathUtilityTest.UnescapeSlashes.
  const cases: [string, string, boolean][] = [
    ['', '', false],
    ['%2f%2F', '//', true],
    ['/a%2Fb%2fc/', '/a/b/c/', true],
    ['%2b', '%2b', false],
    ['/a/b/c', '/a/b/c', false],
    ['%2', '%2', false],
    ['%', '%', false],
    ['/a%5Cb%5c', '/a\\b\\', true],
    ['/a?b=%2F', '/a?b=%2F', false],
    ['/%252F', '/%252F', false],
  ];
  for (const [input, path, found] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(path)}`, () =>
      assert.deepEqual(unescapeSlashes(input), { path, found }));
  }
});

describe('path parts', () => {
  it('cuts at the first ? or # (PathUtil::removeQueryAndFragment)', () => {
    assert.equal(pathWithoutQuery('/abc?param=value#fragment'), '/abc');
    assert.equal(pathWithoutQuery('/abc#fragment?param=value'), '/abc');
    assert.equal(pathWithoutQuery('/abc'), '/abc');
    assert.equal(queryStart('/a?b'), 2);
    assert.equal(queryStart('/a'), 2);
  });
});
