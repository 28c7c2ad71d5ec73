import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StringMatcher__Output } from '../../xds/generated/envoy/type/matcher/v3/StringMatcher.js';
import type { ConfigError } from '../config/config-error.js';
import { compileStringMatcher } from './string-matcher.js';
import { decode } from './test-helpers.js';

function matcher(json: object) {
  const errors: ConfigError[] = [];
  const decoded = decode<StringMatcher__Output>('envoy.type.matcher.v3.StringMatcher', json);
  return { test: compileStringMatcher(decoded, ['m'], errors), errors };
}

describe('compileStringMatcher', () => {
  const cases: [object, string, boolean][] = [
    [{ exact: 'abc' }, 'abc', true],
    [{ exact: 'abc' }, 'ABC', false],
    [{ exact: 'abc', ignore_case: true }, 'ABC', true],
    [{ exact: '' }, '', true],
    [{ prefix: '/api' }, '/api/v1', true],
    [{ prefix: '/api' }, '/API/v1', false],
    [{ prefix: '/api', ignore_case: true }, '/API/v1', true],
    [{ suffix: '.json' }, 'a.json', true],
    [{ suffix: '.JSON', ignore_case: true }, 'a.json', true],
    [{ contains: 'mid' }, 'amidb', true],
    [{ contains: 'MID', ignore_case: true }, 'aMiDb', true],
    [{ contains: 'mid' }, 'amxdb', false],
    [{ safe_regex: { regex: 'a.c' } }, 'abc', true],
    [{ safe_regex: { regex: 'a.c' } }, 'abcd', false],
  ];
  for (const [json, value, expected] of cases) {
    it(`${JSON.stringify(json)} on ${JSON.stringify(value)} is ${expected}`, () => {
      assert.equal(matcher(json).test?.(value), expected);
    });
  }

  it('rejects empty prefix/suffix/contains, ignore_case with safe_regex, custom and no pattern', () => {
    assert.match(matcher({ prefix: '' }).errors[0]!.message, /must not be empty/);
    assert.match(matcher({ safe_regex: { regex: 'a' }, ignore_case: true }).errors[0]!.message, /no effect/);
    assert.deepEqual(
      matcher({
        custom: { name: 'x', typed_config: { '@type': 'type.googleapis.com/google.protobuf.Empty' } },
      }).errors[0]!.path,
      ['m', 'custom'],
    );
    assert.match(matcher({}).errors[0]!.message, /required/);
  });
});
