import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalizePath } from './canonicalize.js';

describe('canonicalizePath (Envoy/Chromium RFC 3986 normalization)', () => {
  const cases: [string, string | undefined][] = [
    ['/a/./b/../c', '/a/c'],
    ['/public/../admin', '/admin'],
    ['/..', '/'],
    ['/../../a', '/a'],
    ['/a/..', '/'],
    ['/a/.', '/a/'],
    ['/a/b/..', '/a/'],
    ['/%2e%2e/admin', '/admin'],
    ['/%2E/a', '/a'],
    ['/a%2eb', '/a.b'],
    ['/.hidden', '/.hidden'],
    ['/..a/b', '/..a/b'],
    ['/%61dmin', '/admin'],
    ['/%7Euser/%2D%5F', '/~user/-_'],
    ['/a%2Fb', '/a%2Fb'], // escaped slashes are kept; path_with_escaped_slashes_action decides
    ['/a%2fb', '/a%2fb'], // kept escapes keep their hex case
    ['/a%5Cb', '/a%5Cb'],
    ['\\admin', '/admin'],
    ['/a\\..\\b', '/b'],
    ['/a b', '/a%20b'],
    ['/a"b<c>', '/a%22b%3Cc%3E'],
    ['/a|b{c}^`', '/a%7Cb%7Bc%7D%5E%60'],
    ['/ü', '/%FC'], // latin1 byte as Node hands it over
    ['/€', '/%E2%82%AC'],
    ['/%zz', '/%zz'],
    ['', '/'],
    ['a/b', '/a/b'],
    ['//a//b', '//a//b'], // slashes are merged separately (merge_slashes)
    ['/a%00b', undefined],
    ['/a\0b', undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () =>
      assert.equal(canonicalizePath(input), expected));
  }

  it('neutralises nested escapes so a second pass cannot decode more', () => {
    // "%%30%30": "%30" decodes to "0", making "%0" + "%30" -> "%00" on a later pass unless the
    // first '%' is escaped (CheckForNestedEscapes).
    const once = canonicalizePath('/%%30%30');
    assert.equal(once, '/%2500');
    assert.equal(canonicalizePath(once!), once);
    assert.equal(canonicalizePath('/%%361'), '/%2561');
  });
});
