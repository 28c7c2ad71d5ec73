import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalizePath } from './canonicalize.js';
import { mergeSlashes } from './merge-slashes.js';
import { type EscapedSlashesAction, normalizePath, type PathNormalizationOptions } from './normalize.js';

const SECURE: PathNormalizationOptions = {
  normalizePath: true,
  mergeSlashes: true,
  escapedSlashesAction: 'UNESCAPE_AND_FORWARD',
};

describe('mergeSlashes (PathTransformer::mergeSlashes)', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['a//b/c', 'a/b/c'],
    ['/a//b/c/', '/a/b/c/'],
    ['//a/b/c', '/a/b/c'],
    ['/a////b/c', '/a/b/c'],
    ['/a/b/c//', '/a/b/c/'],
    ['/a//b?a=///c', '/a/b?a=///c'],
    ['/a//b?', '/a/b?'],
    ['//a/?b', '/a/?b'],
    ['///', '//'], // Envoy's StrCat(prefix, "", suffix)
  ];
  for (const [input, expected] of cases)
    it(`${input} -> ${expected}`, () => assert.equal(mergeSlashes(input), expected));
});

describe('normalizePath (HCM order)', () => {
  // hardening.md §2 rows 1-3 and 6: each variant must reach routing/authz as "/admin".
  const hardening: [string, string][] = [
    ['/public/../admin', '/admin'],
    ['//admin', '/admin'],
    ['/%2Fadmin', '/admin'],
    ['/%2fadmin', '/admin'],
    ['/%5Cadmin', '/admin'],
    ['/%5cadmin', '/admin'],
    ['/%61dmin', '/admin'],
    ['/a/./b/../c', '/a/c'],
    ['/..', '/'],
    ['/admin#frag', '/admin'],
    ['/user/profile#s1', '/user/profile'],
    ['/public/%2e%2e/admin?x=/../y', '/admin?x=/../y'],
    ['/./admin/', '/admin/'],
  ];
  for (const [input, expected] of hardening) {
    it(`${input} -> ${expected}`, () =>
      assert.deepEqual(normalizePath(input, SECURE), { kind: 'ok', path: expected }));
  }

  it('leaves the query untouched', () => {
    assert.deepEqual(normalizePath('/a/../b?q=%2F..%2F&x=//y#f', SECURE), {
      kind: 'ok',
      path: '/b?q=%2F..%2F&x=//y',
    });
  });

  it('rejects NUL and control characters in every mode', () => {
    const off: PathNormalizationOptions = {
      normalizePath: false,
      mergeSlashes: false,
      escapedSlashesAction: 'KEEP_UNCHANGED',
    };
    for (const options of [SECURE, off]) {
      assert.equal(normalizePath('/a%00b', options).kind, 'reject');
      assert.equal(normalizePath('/a\0b', options).kind, 'reject');
      assert.equal(normalizePath('/a\x01b', options).kind, 'reject');
      assert.equal(normalizePath('/a\x7fb', options).kind, 'reject');
    }
    assert.equal(normalizePath('/a?x=%00', SECURE).kind, 'ok'); // only the path is checked
  });

  it('applies each escaped-slash action', () => {
    const run = (action: EscapedSlashesAction, normalize = false) =>
      normalizePath('/a%2Fb%5c..', {
        normalizePath: normalize,
        mergeSlashes: false,
        escapedSlashesAction: action,
      });
    assert.deepEqual(run('KEEP_UNCHANGED'), { kind: 'ok', path: '/a%2Fb%5c..' });
    assert.deepEqual(run('IMPLEMENTATION_SPECIFIC_DEFAULT'), { kind: 'ok', path: '/a%2Fb%5c..' });
    assert.deepEqual(run('REJECT_REQUEST'), { kind: 'reject', detail: 'escaped_slashes_in_path' });
    assert.deepEqual(run('UNESCAPE_AND_FORWARD'), { kind: 'ok', path: '/a/b\\..' });
    assert.deepEqual(run('UNESCAPE_AND_FORWARD', true), { kind: 'ok', path: '/a/' });
    assert.deepEqual(run('UNESCAPE_AND_REDIRECT', true), { kind: 'redirect', path: '/a/' });
    assert.deepEqual(normalizePath('/plain', { ...SECURE, escapedSlashesAction: 'REJECT_REQUEST' }), {
      kind: 'ok',
      path: '/plain',
    });
    assert.deepEqual(normalizePath('/a?x=%2F', { ...SECURE, escapedSlashesAction: 'REJECT_REQUEST' }), {
      kind: 'ok',
      path: '/a?x=%2F',
    });
  });

  it('does nothing beyond fragment and control checks when every option is off', () => {
    const off: PathNormalizationOptions = {
      normalizePath: false,
      mergeSlashes: false,
      escapedSlashesAction: 'KEEP_UNCHANGED',
    };
    assert.deepEqual(normalizePath('/a/../b//c%61#x', off), { kind: 'ok', path: '/a/../b//c%61' });
  });

  // hardening.md §5 B10: normalizing a normalized path changes nothing.
  it('is idempotent on generated paths', () => {
    const alphabet = [
      '/',
      '/',
      '.',
      '..',
      '%2e',
      '%2E',
      '%2f',
      '%2F',
      '%5c',
      '\\',
      '%25',
      '%',
      '%3',
      '%30',
      'a',
      'B',
      '%61',
      '%7e',
      ';',
      '?',
      '#',
      ' ',
      'é',
      '//',
      '%00',
      '\x01',
    ];
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const actions: EscapedSlashesAction[] = [
      'KEEP_UNCHANGED',
      'UNESCAPE_AND_FORWARD',
      'UNESCAPE_AND_REDIRECT',
      'REJECT_REQUEST',
    ];
    let checked = 0;
    for (let n = 0; n < 5000; n++) {
      let path = '/';
      const length = 1 + Math.floor(random() * 12);
      for (let i = 0; i < length; i++) path += alphabet[Math.floor(random() * alphabet.length)];
      const options: PathNormalizationOptions = {
        normalizePath: random() < 0.8,
        mergeSlashes: random() < 0.8,
        escapedSlashesAction: actions[Math.floor(random() * actions.length)]!,
      };
      const first = normalizePath(path, options);
      if (first.kind === 'reject') continue;
      const second = normalizePath(first.path, options);
      assert.equal(
        second.kind === 'reject' ? undefined : second.path,
        first.path,
        `${JSON.stringify(path)} ${JSON.stringify(options)}`,
      );
      checked++;
    }
    assert.ok(checked > 1000);
  });

  it('canonicalization alone is idempotent too', () => {
    for (const path of ['/a/%2e%2e%2fb', '/%%32e', '/%2%65', '/.%2e/x', '/a/..%2F']) {
      const once = canonicalizePath(path);
      assert.equal(canonicalizePath(once!), once, path);
    }
  });
});
