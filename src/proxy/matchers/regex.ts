/**
 * `safe_regex` compilation with RE2 semantics through re2js (linear-time matching, so a tenant's
 * route regex cannot stall the proxy). Patterns RE2 rejects (lookarounds, backreferences) fail
 * here as config errors naming the field.
 */
import { RE2JS } from 're2js';
import type { RegexMatcher__Output } from '../../xds/generated/envoy/type/matcher/v3/RegexMatcher.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';

/** Istio caps regex length at 1024 characters (istio.io security advisory 2022-004 hardening). */
export const MAX_REGEX_LENGTH = 1024;

/**
 * Envoy rejects an RE2 program larger than the runtime value `re2.max_program_size.error_level`
 * (default 100, source/common/common/regex.cc); Istio's bootstrap raises it to 32768 because
 * generated mesh regexes exceed 100. Skein serves Istio's APIs, so it uses Istio's value.
 * re2js measures program size like RE2 does, though counts can differ slightly.
 */
export const DEFAULT_MAX_PROGRAM_SIZE = 32768;

export interface CompiledRegex {
  readonly source: string;
  readonly pattern: RE2JS;
  readonly groupCount: number;
  /** RE2::FullMatch, as Envoy's CompiledGoogleReMatcher::match. */
  fullMatch(value: string): boolean;
}

export function compileRegex(
  matcher: RegexMatcher__Output | null,
  path: FieldPath,
  errors: ConfigError[],
): CompiledRegex | undefined {
  if (!matcher) {
    errors.push({ path, message: 'a regex is required' });
    return undefined;
  }
  checkSupported('envoy.type.matcher.v3.RegexMatcher', matcher, ['regex', 'google_re2'], path, errors);
  let maxProgramSize = DEFAULT_MAX_PROGRAM_SIZE;
  if (matcher.google_re2) {
    const re2Path = [...path, 'google_re2'];
    checkSupported(
      'envoy.type.matcher.v3.RegexMatcher.GoogleRE2',
      matcher.google_re2,
      ['max_program_size'],
      re2Path,
      errors,
    );
    // The deprecated per-regex limit replaces the global one when set (regex.cc).
    if (matcher.google_re2.max_program_size) maxProgramSize = matcher.google_re2.max_program_size.value;
  }
  return compilePattern(matcher.regex, maxProgramSize, [...path, 'regex'], errors);
}

export function compilePattern(
  source: string,
  maxProgramSize: number,
  path: FieldPath,
  errors: ConfigError[],
): CompiledRegex | undefined {
  if (source === '') {
    errors.push({ path, message: 'regex must not be empty' });
    return undefined;
  }
  if (source.length > MAX_REGEX_LENGTH) {
    errors.push({
      path,
      message: `regex is ${source.length} characters; at most ${MAX_REGEX_LENGTH} are allowed`,
    });
    return undefined;
  }
  let pattern: RE2JS;
  try {
    // Flags 0: RE2's defaults (Perl classes, no lookbehind extension, dot excludes newline).
    pattern = RE2JS.compile(source, 0);
  } catch (error) {
    errors.push({ path, message: `invalid RE2 regex: ${(error as Error).message}` });
    return undefined;
  }
  const programSize = pattern.programSize();
  if (programSize > maxProgramSize) {
    errors.push({
      path,
      message: `regex program size ${programSize} is larger than the maximum of ${maxProgramSize}`,
    });
    return undefined;
  }
  return {
    source,
    pattern,
    groupCount: pattern.groupCount(),
    fullMatch: (value) => pattern.testExact(value),
  };
}
