/**
 * route.v3.RouteMatch compiled to one predicate over a RequestView, as Envoy's
 * RouteEntryImplBase::matchRoute plus the path matcher of each route kind (config_impl.cc):
 * - prefix / path / path_separated_prefix compare with the path without query and fragment,
 *   ASCII case-insensitively when case_sensitive is false;
 * - safe_regex must match that whole path (case_sensitive does not apply);
 * - path_separated_prefix matches the prefix exactly or followed by '/';
 * - then grpc, headers, query_parameters and runtime_fraction must all hold.
 */
import type { RuntimeFractionalPercent__Output } from '../../xds/generated/envoy/config/core/v3/RuntimeFractionalPercent.js';
import type { RouteMatch__Output } from '../../xds/generated/envoy/config/route/v3/RouteMatch.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { asciiLower, equalsIgnoreCase, startsWithIgnoreCase } from '../matchers/ascii.js';
import { compileHeaderMatcher, type HeaderPredicate } from '../matchers/header-matcher.js';
import { compileQueryParameterMatcher, type QueryPredicate } from '../matchers/query-matcher.js';
import { compileRegex } from '../matchers/regex.js';
import type { RequestView } from './request-view.js';

/**
 * How the path is tested, kept as data so route() runs one monomorphic test per route. The
 * common kinds, case-sensitive prefix and exact path, are 0 and 1 so route() can test them inline.
 */
export const PATH_PREFIX = 0;
export const PATH_EXACT = 1;
export const PATH_PREFIX_IGNORE_CASE = 2;
export const PATH_EXACT_IGNORE_CASE = 3;
export const PATH_SEPARATED_PREFIX = 4;
export const PATH_SEPARATED_PREFIX_IGNORE_CASE = 5;
export const PATH_REGEX = 6;
export type PathKind = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export interface CompiledMatch {
  readonly pathKind: PathKind;
  /** The prefix or exact path, ASCII-lowered for the *_IGNORE_CASE kinds. */
  readonly pathValue: string;
  readonly regex: ((path: string) => boolean) | undefined;
  /** grpc, headers, query_parameters and runtime_fraction together; undefined when none is set. */
  readonly conditions: ((view: RequestView) => boolean) | undefined;
  /**
   * How much of the path prefix_rewrite replaces: the configured prefix/path (its length), or the
   * whole path without query for safe_regex routes (Envoy's "matched path").
   */
  readonly rewriteLength: number | 'whole-path';
}

/** Whether `match` holds for the request in `view`. */
export function matchesRequest(match: CompiledMatch, view: RequestView): boolean {
  return (
    matchesPath(match, view.pathForMatching()) && (match.conditions === undefined || match.conditions(view))
  );
}

export function matchesPath(match: CompiledMatch, path: string): boolean {
  const value = match.pathValue;
  switch (match.pathKind) {
    case PATH_PREFIX:
      return path.startsWith(value);
    case PATH_EXACT:
      return path === value;
    case PATH_PREFIX_IGNORE_CASE:
      return startsWithIgnoreCase(path, value);
    case PATH_EXACT_IGNORE_CASE:
      return equalsIgnoreCase(path, value);
    case PATH_SEPARATED_PREFIX:
      return path.startsWith(value) && isSegmentEnd(path, value.length);
    case PATH_SEPARATED_PREFIX_IGNORE_CASE:
      return startsWithIgnoreCase(path, value) && isSegmentEnd(path, value.length);
    case PATH_REGEX:
      return match.regex!(path);
  }
}

/** path_separated_prefix: the prefix is the whole path or is followed by '/'. */
function isSegmentEnd(path: string, length: number): boolean {
  return path.length === length || path.charCodeAt(length) === 47;
}

const SUPPORTED = [
  'prefix',
  'path',
  'safe_regex',
  'path_separated_prefix',
  'case_sensitive',
  'headers',
  'query_parameters',
  'grpc',
  'runtime_fraction',
] as const;

// PGV on path_separated_prefix: no query or fragment, and no trailing slash.
const PATH_SEPARATED_PREFIX_PATTERN = /^[^?#]+[^?#/]$/;

export function compileRouteMatch(
  match: RouteMatch__Output | null,
  path: FieldPath,
  errors: ConfigError[],
): CompiledMatch | undefined {
  if (!match) {
    errors.push({ path, message: 'match is required' });
    return undefined;
  }
  const before = errors.length;
  checkSupported('envoy.config.route.v3.RouteMatch', match, SUPPORTED, path, errors);
  const caseSensitive = match.case_sensitive?.value ?? true;
  const pathMatch = compilePathMatch(match, caseSensitive, path, errors);

  const headers: HeaderPredicate[] = [];
  match.headers.forEach((header, i) => {
    const predicate = compileHeaderMatcher(header, [...path, 'headers', i], errors);
    if (predicate) headers.push(predicate);
  });
  const queries: QueryPredicate[] = [];
  match.query_parameters.forEach((query, i) => {
    const predicate = compileQueryParameterMatcher(query, [...path, 'query_parameters', i], errors);
    if (predicate) queries.push(predicate);
  });
  const fraction = match.runtime_fraction
    ? compileRuntimeFraction(match.runtime_fraction, [...path, 'runtime_fraction'], errors)
    : undefined;
  if (!pathMatch || errors.length > before) return undefined;

  const grpc = match.grpc !== null;
  const checks = grpc || headers.length > 0 || queries.length > 0 || fraction !== undefined;
  return {
    ...pathMatch,
    conditions: checks
      ? (view) => {
          if (grpc && !isGrpc(view.joinedHeader('content-type'))) return false;
          for (const header of headers) if (!header(view)) return false;
          for (const query of queries) if (!query(view)) return false;
          return fraction === undefined || fraction(view.randomFraction());
        }
      : undefined,
  };
}

type PathMatch = Pick<CompiledMatch, 'pathKind' | 'pathValue' | 'regex' | 'rewriteLength'>;

function compilePathMatch(
  match: RouteMatch__Output,
  caseSensitive: boolean,
  path: FieldPath,
  errors: ConfigError[],
): PathMatch | undefined {
  const literal = (sensitiveKind: PathKind, ignoreCaseKind: PathKind, value: string): PathMatch => ({
    pathKind: caseSensitive ? sensitiveKind : ignoreCaseKind,
    pathValue: caseSensitive ? value : asciiLower(value),
    regex: undefined,
    rewriteLength: value.length,
  });
  switch (match.path_specifier) {
    case 'prefix':
      return literal(PATH_PREFIX, PATH_PREFIX_IGNORE_CASE, match.prefix ?? '');
    case 'path':
      return literal(PATH_EXACT, PATH_EXACT_IGNORE_CASE, match.path ?? '');
    case 'path_separated_prefix': {
      const prefix = match.path_separated_prefix ?? '';
      if (!PATH_SEPARATED_PREFIX_PATTERN.test(prefix)) {
        errors.push({
          path: [...path, 'path_separated_prefix'],
          message: 'must be non-empty, without ? or #, and must not end with /',
        });
        return undefined;
      }
      return literal(PATH_SEPARATED_PREFIX, PATH_SEPARATED_PREFIX_IGNORE_CASE, prefix);
    }
    case 'safe_regex': {
      const regex = compileRegex(match.safe_regex ?? null, [...path, 'safe_regex'], errors);
      if (!regex) return undefined;
      return {
        pathKind: PATH_REGEX,
        pathValue: '',
        regex: regex.fullMatch,
        rewriteLength: 'whole-path',
      };
    }
    default:
      // connect_matcher and path_match_policy are reported by checkSupported.
      if (match.path_specifier === undefined) {
        errors.push({
          path,
          message: 'one of prefix, path, safe_regex or path_separated_prefix is required',
        });
      }
      return undefined;
  }
}

/** Grpc::Common::hasGrpcContentType: exactly application/grpc or application/grpc+<suffix>. */
export function isGrpc(contentType: string | undefined): boolean {
  if (contentType === undefined || !contentType.startsWith('application/grpc')) return false;
  return contentType.length === 16 || contentType.charCodeAt(16) === 43; // '+'
}

const DENOMINATORS: Readonly<Record<string, number>> = {
  HUNDRED: 100,
  TEN_THOUSAND: 10_000,
  MILLION: 1_000_000,
};

/**
 * runtime_fraction: matches when `random % denominator < numerator`
 * (ProtobufPercentHelper::evaluateFractionalPercent). Skein has no runtime layer, so the
 * runtime_key never overrides default_value (as in Envoy when the key is not set).
 */
export function compileRuntimeFraction(
  fraction: RuntimeFractionalPercent__Output,
  path: FieldPath,
  errors: ConfigError[],
): ((random: number) => boolean) | undefined {
  checkSupported(
    'envoy.config.core.v3.RuntimeFractionalPercent',
    fraction,
    ['default_value', 'runtime_key'],
    path,
    errors,
  );
  const value = fraction.default_value;
  if (!value) {
    errors.push({ path: [...path, 'default_value'], message: 'default_value is required' });
    return undefined;
  }
  const denominator = DENOMINATORS[value.denominator];
  if (denominator === undefined) {
    errors.push({
      path: [...path, 'default_value', 'denominator'],
      message: `unknown denominator ${String(value.denominator)}`,
    });
    return undefined;
  }
  const numerator = value.numerator;
  return (random) => Math.floor(random * denominator) < numerator;
}
