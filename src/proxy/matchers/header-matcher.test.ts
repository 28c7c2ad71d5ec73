import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeaderMatcher__Output } from '../../xds/generated/envoy/config/route/v3/HeaderMatcher.js';
import type { ConfigError } from '../config/config-error.js';
import { compileHeaderMatcher } from './header-matcher.js';
import { decode, headerSource } from './test-helpers.js';

function matches(json: object, headers: string[]): boolean | undefined {
  const errors: ConfigError[] = [];
  const decoded = decode<HeaderMatcher__Output>('envoy.config.route.v3.HeaderMatcher', json);
  const predicate = compileHeaderMatcher(decoded, ['headers', 0], errors);
  assert.deepEqual(errors, []);
  return predicate?.(headerSource(headers));
}

describe('compileHeaderMatcher', () => {
  const cases: [string, object, string[], boolean][] = [
    ['exact string_match', { name: 'x-env', string_match: { exact: 'prod' } }, ['x-env', 'prod'], true],
    [
      'header names are case-insensitive',
      { name: 'X-Env', string_match: { exact: 'prod' } },
      ['x-env', 'prod'],
      true,
    ],
    ['missing header never matches a value', { name: 'x-env', string_match: { exact: 'prod' } }, [], false],
    [
      'missing header with invert still fails',
      { name: 'x-env', string_match: { exact: 'prod' }, invert_match: true },
      [],
      false,
    ],
    [
      'invert on a present non-matching value',
      { name: 'x-env', string_match: { exact: 'prod' }, invert_match: true },
      ['x-env', 'dev'],
      true,
    ],
    [
      'repeated values are joined with a comma',
      { name: 'x-role', string_match: { exact: 'user,admin' } },
      ['x-role', 'user', 'x-role', 'admin'],
      true,
    ],
    [
      'joined value does not match one element',
      { name: 'x-role', string_match: { exact: 'admin' } },
      ['x-role', 'user', 'x-role', 'admin'],
      false,
    ],
    ['present_match true', { name: 'x-a', present_match: true }, ['x-a', ''], true],
    ['present_match true, absent', { name: 'x-a', present_match: true }, [], false],
    ['present_match false, absent', { name: 'x-a', present_match: false }, [], true],
    ['present_match false, present', { name: 'x-a', present_match: false }, ['x-a', 'v'], false],
    [
      'present_match true inverted, absent',
      { name: 'x-a', present_match: true, invert_match: true },
      [],
      true,
    ],
    ['no specifier means present', { name: 'x-a' }, ['x-a', 'v'], true],
    ['no specifier, absent', { name: 'x-a' }, [], false],
    ['legacy exact_match', { name: 'x-a', exact_match: 'v' }, ['x-a', 'v'], true],
    ['legacy exact_match "" matches anything', { name: 'x-a', exact_match: '' }, ['x-a', 'v'], true],
    ['legacy prefix_match', { name: 'x-a', prefix_match: 'ab' }, ['x-a', 'abc'], true],
    ['legacy suffix_match', { name: 'x-a', suffix_match: 'bc' }, ['x-a', 'abc'], true],
    ['legacy contains_match', { name: 'x-a', contains_match: 'b' }, ['x-a', 'abc'], true],
    [
      'legacy safe_regex_match is a full match',
      { name: 'x-a', safe_regex_match: { regex: '\\d{3}' } },
      ['x-a', '1234'],
      false,
    ],
    [
      'inverted regex (proto example)',
      { name: 'x-a', safe_regex_match: { regex: '\\d{3}' }, invert_match: true },
      ['x-a', '1234'],
      true,
    ],
    ['range [-10,0) matches -1', { name: 'x-n', range_match: { start: -10, end: 0 } }, ['x-n', '-1'], true],
    ['range end is exclusive', { name: 'x-n', range_match: { start: -10, end: 0 } }, ['x-n', '0'], false],
    [
      'range rejects non-integers',
      { name: 'x-n', range_match: { start: -10, end: 0 } },
      ['x-n', '-1somestring'],
      false,
    ],
    ['range rejects floats', { name: 'x-n', range_match: { start: 0, end: 100 } }, ['x-n', '10.9'], false],
    ['range accepts a plus sign', { name: 'x-n', range_match: { start: 0, end: 100 } }, ['x-n', '+5'], true],
    [
      'treat missing as empty with ^$ regex',
      { name: 'x-a', string_match: { safe_regex: { regex: '^$' } }, treat_missing_header_as_empty: true },
      [],
      true,
    ],
    [
      'treat missing as empty, range inverted',
      {
        name: 'x-a',
        range_match: { start: 0, end: 10 },
        invert_match: true,
        treat_missing_header_as_empty: true,
      },
      [],
      true,
    ],
    [
      'treat missing as empty, range not inverted',
      {
        name: 'x-a',
        range_match: { start: 0, end: 10 },
        invert_match: false,
        treat_missing_header_as_empty: true,
      },
      [],
      false,
    ],
  ];
  for (const [name, json, headers, expected] of cases) {
    it(name, () => assert.equal(matches(json, headers), expected));
  }

  it('rejects an empty name and empty legacy prefix', () => {
    const errors: ConfigError[] = [];
    compileHeaderMatcher(
      decode('envoy.config.route.v3.HeaderMatcher', { name: '', present_match: true }),
      ['h'],
      errors,
    );
    compileHeaderMatcher(
      decode('envoy.config.route.v3.HeaderMatcher', { name: 'x', prefix_match: '' }),
      ['h'],
      errors,
    );
    assert.deepEqual(
      errors.map((e) => e.path.join('.')),
      ['h.name', 'h.prefix_match'],
    );
  });
});
