import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigError } from '../config/config-error.js';
import { compilePattern, compileRegex, MAX_REGEX_LENGTH } from './regex.js';

function compile(source: string, maxProgramSize = 32768) {
  const errors: ConfigError[] = [];
  const regex = compilePattern(source, maxProgramSize, ['safe_regex', 'regex'], errors);
  return { regex, errors };
}

describe('compileRegex', () => {
  it('matches the whole value, like RE2::FullMatch', () => {
    const { regex } = compile('/api/v[0-9]+');
    assert.ok(regex?.fullMatch('/api/v2'));
    assert.ok(!regex?.fullMatch('/api/v2/users'));
    assert.ok(!regex?.fullMatch('x/api/v2'));
  });

  it('rejects what RE2 rejects: lookahead, lookbehind, backreferences', () => {
    for (const source of ['(?=a)b', 'a(?<=b)', '(?!x)y', '(a)\\1']) {
      const { regex, errors } = compile(source);
      assert.equal(regex, undefined, source);
      assert.equal(errors.length, 1);
      assert.deepEqual(errors[0]!.path, ['safe_regex', 'regex']);
      assert.match(errors[0]!.message, /invalid RE2 regex/);
    }
  });

  it('caps the pattern length and program size', () => {
    assert.match(compile('a'.repeat(MAX_REGEX_LENGTH + 1)).errors[0]!.message, /at most 1024/);
    assert.match(
      compile('[a-z]{1,1000}', 100).errors[0]!.message,
      /program size \d+ is larger than the maximum of 100/,
    );
  });

  it('is linear on inputs that make backtracking engines explode', () => {
    const { regex } = compile('(a+)+$');
    const started = process.hrtime.bigint();
    assert.ok(!regex?.fullMatch(`${'a'.repeat(50_000)}!`));
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 2000);
  });

  it('honours the deprecated google_re2.max_program_size and rejects an unset matcher', () => {
    const errors: ConfigError[] = [];
    compileRegex(
      { regex: '[a-z]{1,50}', google_re2: { max_program_size: { value: 10 } }, engine_type: 'google_re2' },
      ['m'],
      errors,
    );
    assert.match(errors[0]!.message, /maximum of 10/);
    compileRegex(null, ['m'], errors);
    assert.match(errors[1]!.message, /required/);
  });
});
