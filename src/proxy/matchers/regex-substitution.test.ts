import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RegexMatchAndSubstitute__Output } from '../../xds/generated/envoy/type/matcher/v3/RegexMatchAndSubstitute.js';
import type { ConfigError } from '../config/config-error.js';
import { compileSubstitution } from './regex-substitution.js';
import { decode } from './test-helpers.js';

function substitution(regex: string, replacement: string) {
  const errors: ConfigError[] = [];
  const spec = decode<RegexMatchAndSubstitute__Output>('envoy.type.matcher.v3.RegexMatchAndSubstitute', {
    pattern: { regex },
    substitution: replacement,
  });
  return { apply: compileSubstitution(spec, ['regex_rewrite'], errors), errors };
}

describe('compileSubstitution', () => {
  // The examples in route_components.proto's RedirectAction.regex_rewrite documentation.
  it('reproduces the documented Envoy examples', () => {
    assert.equal(
      substitution('^/service/([^/]+)(/.*)$', '\\2/instance/\\1').apply?.('/service/foo/v1/api'),
      '/v1/api/instance/foo',
    );
    assert.equal(substitution('one', 'two').apply?.('/xxx/one/yyy/one/zzz'), '/xxx/two/yyy/two/zzz');
    assert.equal(
      substitution('^(.*?)one(.*)$', '\\1two\\2').apply?.('/xxx/one/yyy/one/zzz'),
      '/xxx/two/yyy/one/zzz',
    );
    assert.equal(substitution('(?i)/xxx/', '/yyy/').apply?.('/aaa/XxX/bbb'), '/aaa/yyy/bbb');
  });

  it('handles \\0, escaped backslashes, no match and empty matches like RE2::GlobalReplace', () => {
    assert.equal(substitution('b+', '[\\0]').apply?.('abbbc'), 'a[bbb]c');
    assert.equal(substitution('b', '\\\\').apply?.('abc'), 'a\\c');
    assert.equal(substitution('zzz', 'y').apply?.('/abc'), '/abc');
    assert.equal(substitution('x*', '-').apply?.('abc'), '-a-b-c-');
    assert.equal(substitution('^', '/p').apply?.('/abc'), '/p/abc');
  });

  it('rejects group references the pattern lacks and unknown escapes', () => {
    assert.match(substitution('(a)', '\\2').errors[0]!.message, /group the pattern does not have/);
    assert.match(substitution('a', '\\n').errors[0]!.message, /invalid rewrite escape/);
    assert.deepEqual(substitution('(?=a)', 'x').errors[0]!.path, ['regex_rewrite', 'pattern', 'regex']);
  });
});
