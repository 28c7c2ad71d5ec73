/**
 * envoy.type.matcher.v3.StringMatcher as Envoy's StringMatcherImpl (source/common/common/matchers.h):
 * `ignore_case` folds ASCII only, and is an error together with `safe_regex`.
 */
import type { StringMatcher__Output } from '../../xds/generated/envoy/type/matcher/v3/StringMatcher.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { asciiLower, endsWithIgnoreCase, equalsIgnoreCase, startsWithIgnoreCase } from './ascii.js';
import { compileRegex } from './regex.js';

export type StringPredicate = (value: string) => boolean;

const SUPPORTED = ['exact', 'prefix', 'suffix', 'safe_regex', 'contains', 'ignore_case'] as const;

export function compileStringMatcher(
  matcher: StringMatcher__Output | null,
  path: FieldPath,
  errors: ConfigError[],
): StringPredicate | undefined {
  if (!matcher) {
    errors.push({ path, message: 'a string matcher is required' });
    return undefined;
  }
  checkSupported('envoy.type.matcher.v3.StringMatcher', matcher, SUPPORTED, path, errors);
  const ignoreCase = matcher.ignore_case;
  switch (matcher.match_pattern) {
    case 'exact': {
      const exact = matcher.exact ?? '';
      if (!ignoreCase) return (value) => value === exact;
      const lower = asciiLower(exact);
      return (value) => equalsIgnoreCase(value, lower);
    }
    case 'prefix':
      return affixMatcher(matcher.prefix ?? '', ignoreCase, 'prefix', path, errors);
    case 'suffix':
      return affixMatcher(matcher.suffix ?? '', ignoreCase, 'suffix', path, errors);
    case 'contains':
      return affixMatcher(matcher.contains ?? '', ignoreCase, 'contains', path, errors);
    case 'safe_regex': {
      if (ignoreCase) {
        errors.push({ path: [...path, 'ignore_case'], message: 'ignore_case has no effect for safe_regex' });
        return undefined;
      }
      const regex = compileRegex(matcher.safe_regex ?? null, [...path, 'safe_regex'], errors);
      return regex ? regex.fullMatch : undefined;
    }
    default:
      // `custom` was reported by checkSupported; nothing set is a PGV "required" violation.
      if (matcher.match_pattern === undefined)
        errors.push({ path, message: 'one of exact, prefix, suffix, safe_regex or contains is required' });
      return undefined;
  }
}

function affixMatcher(
  expected: string,
  ignoreCase: boolean,
  kind: 'prefix' | 'suffix' | 'contains',
  path: FieldPath,
  errors: ConfigError[],
): StringPredicate | undefined {
  // PGV: prefix, suffix and contains have min_len 1.
  if (expected === '') {
    errors.push({ path: [...path, kind], message: `${kind} must not be empty` });
    return undefined;
  }
  const lower = asciiLower(expected);
  switch (kind) {
    case 'prefix':
      return ignoreCase
        ? (value) => startsWithIgnoreCase(value, lower)
        : (value) => value.startsWith(expected);
    case 'suffix':
      return ignoreCase ? (value) => endsWithIgnoreCase(value, lower) : (value) => value.endsWith(expected);
    case 'contains':
      return ignoreCase ? (value) => asciiLower(value).includes(lower) : (value) => value.includes(expected);
  }
}
