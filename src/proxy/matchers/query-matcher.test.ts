import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueryParameterMatcher__Output } from '../../xds/generated/envoy/config/route/v3/QueryParameterMatcher.js';
import type { ConfigError } from '../config/config-error.js';
import { compileQueryParameterMatcher } from './query-matcher.js';
import { parseQueryFirstValues } from './query-string.js';
import { decode } from './test-helpers.js';

function matches(json: object, path: string): boolean | undefined {
  const errors: ConfigError[] = [];
  const decoded = decode<QueryParameterMatcher__Output>('envoy.config.route.v3.QueryParameterMatcher', json);
  const predicate = compileQueryParameterMatcher(decoded, ['query_parameters', 0], errors);
  assert.deepEqual(errors, []);
  const params = parseQueryFirstValues(path);
  return predicate?.({ firstQueryValue: (name) => params.get(name) });
}

describe('parseQueryFirstValues', () => {
  it('splits without decoding and keeps the first value of a name', () => {
    const params = parseQueryFirstValues('/p?a=1&b&a=2&c=x%20y&d=e=f&');
    assert.deepEqual(
      [...params],
      [
        ['a', '1'],
        ['b', ''],
        ['c', 'x%20y'],
        ['d', 'e=f'],
      ],
    );
    assert.equal(parseQueryFirstValues('/p').size, 0);
  });
});

describe('compileQueryParameterMatcher', () => {
  const cases: [object, string, boolean][] = [
    [{ name: 'debug', string_match: { exact: '1' } }, '/p?debug=1', true],
    [{ name: 'debug', string_match: { exact: '1' } }, '/p?debug=2&debug=1', false], // only the first value counts
    [{ name: 'debug', string_match: { exact: '1' } }, '/p', false],
    [{ name: 'debug', present_match: true }, '/p?debug', true],
    [{ name: 'debug', present_match: true }, '/p?other=1', false],
    [{ name: 'debug', present_match: false }, '/p?other=1', true],
    [{ name: 'debug', present_match: false }, '/p?debug=1', false],
    [{ name: 'debug' }, '/p?debug=', true],
    [{ name: 'q', string_match: { exact: 'a%20b' } }, '/p?q=a%20b', true], // values are not decoded
  ];
  for (const [json, path, expected] of cases) {
    it(`${JSON.stringify(json)} on ${path} is ${expected}`, () =>
      assert.equal(matches(json, path), expected));
  }
});
