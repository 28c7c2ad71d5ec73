/**
 * route.v3.HeaderMatcher as Envoy's HeaderUtility::matchHeaders (source/common/http/header_utility.cc):
 * all values of a repeated header are joined with ',' and matched once; a missing header matches
 * only `present_match: false` (or, inverted, `present_match: true`) unless
 * `treat_missing_header_as_empty` makes it the empty string; `invert_match` flips the result.
 */
import type { HeaderMatcher__Output } from '../../xds/generated/envoy/config/route/v3/HeaderMatcher.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { asciiLower } from './ascii.js';
import { checkHeaderName } from './field-checks.js';
import { parseInt64 } from './int64.js';
import { compileRegex } from './regex.js';
import { compileStringMatcher, type StringPredicate } from './string-matcher.js';

/** Where header matchers read a request's headers. */
export interface HeaderSource {
  /** Every value of `name` (lower-case) joined with ',', or undefined when the header is absent. */
  joinedHeader(name: string): string | undefined;
}

export type HeaderPredicate = (source: HeaderSource) => boolean;

const SUPPORTED = [
  'name',
  'exact_match',
  'safe_regex_match',
  'range_match',
  'present_match',
  'prefix_match',
  'suffix_match',
  'contains_match',
  'string_match',
  'invert_match',
  'treat_missing_header_as_empty',
] as const;

/** How a present value is tested; `present` distinguishes present_match from value matchers. */
interface ValueTest {
  readonly present?: boolean;
  readonly test: StringPredicate;
}

export function compileHeaderMatcher(
  matcher: HeaderMatcher__Output,
  path: FieldPath,
  errors: ConfigError[],
): HeaderPredicate | undefined {
  checkSupported('envoy.config.route.v3.HeaderMatcher', matcher, SUPPORTED, path, errors);
  const nameOk = checkHeaderName(matcher.name, [...path, 'name'], errors);
  const valueTest = compileValueTest(matcher, path, errors);
  if (!nameOk || !valueTest) return undefined;

  const name = asciiLower(matcher.name);
  const invert = matcher.invert_match;
  const missingAsEmpty = matcher.treat_missing_header_as_empty;
  // A missing header never reaches the value test unless it is treated as empty.
  const missingResult =
    valueTest.present === undefined ? false : invert ? valueTest.present : !valueTest.present;
  const test = valueTest.test;
  return (source) => {
    let value = source.joinedHeader(name);
    if (value === undefined) {
      if (!missingAsEmpty) return missingResult;
      value = '';
    }
    return test(value) !== invert;
  };
}

function compileValueTest(
  matcher: HeaderMatcher__Output,
  path: FieldPath,
  errors: ConfigError[],
): ValueTest | undefined {
  switch (matcher.header_match_specifier) {
    case 'exact_match': {
      // Legacy exact_match "" matches any value (HeaderDataExactMatch).
      const exact = matcher.exact_match ?? '';
      return { test: exact === '' ? () => true : (value) => value === exact };
    }
    case 'prefix_match':
      return legacyAffix(matcher.prefix_match ?? '', 'prefix_match', path, errors, (v, e) => v.startsWith(e));
    case 'suffix_match':
      return legacyAffix(matcher.suffix_match ?? '', 'suffix_match', path, errors, (v, e) => v.endsWith(e));
    case 'contains_match':
      return legacyAffix(matcher.contains_match ?? '', 'contains_match', path, errors, (v, e) =>
        v.includes(e),
      );
    case 'safe_regex_match': {
      const regex = compileRegex(matcher.safe_regex_match ?? null, [...path, 'safe_regex_match'], errors);
      return regex ? { test: regex.fullMatch } : undefined;
    }
    case 'string_match': {
      const test = compileStringMatcher(matcher.string_match ?? null, [...path, 'string_match'], errors);
      return test ? { test } : undefined;
    }
    case 'range_match': {
      const range = matcher.range_match;
      if (!range) return undefined;
      const start = BigInt(range.start);
      const end = BigInt(range.end);
      // Half-open [start, end) over the whole value parsed as a base-10 int64.
      return {
        test: (value) => {
          const parsed = parseInt64(value);
          return parsed !== undefined && parsed >= start && parsed < end;
        },
      };
    }
    case 'present_match': {
      const present = matcher.present_match ?? false;
      return { present, test: () => present };
    }
    default:
      // No specifier: a presence match (HeaderData's HEADER_MATCH_SPECIFIER_NOT_SET case).
      return { present: true, test: () => true };
  }
}

function legacyAffix(
  expected: string,
  field: string,
  path: FieldPath,
  errors: ConfigError[],
  test: (value: string, expected: string) => boolean,
): ValueTest | undefined {
  // PGV: the deprecated prefix/suffix/contains matchers have min_len 1.
  if (expected === '') {
    errors.push({ path: [...path, field], message: `${field} must not be empty; use present_match` });
    return undefined;
  }
  return { test: (value) => test(value, expected) };
}
