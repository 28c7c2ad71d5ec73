/**
 * route.v3.QueryParameterMatcher as Envoy's ConfigUtility::QueryParameterMatcher: only the first
 * value of a parameter counts; `present_match` compares presence with its value (the default
 * since envoy.reloadable_features.enable_new_query_param_present_match_behavior); with neither
 * specifier the parameter must merely be present. Values are matched undecoded.
 */
import type { QueryParameterMatcher__Output } from '../../xds/generated/envoy/config/route/v3/QueryParameterMatcher.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { compileStringMatcher } from './string-matcher.js';

export interface QuerySource {
  /** The first value of query parameter `name`, or undefined when it is absent. */
  firstQueryValue(name: string): string | undefined;
}

export type QueryPredicate = (source: QuerySource) => boolean;

export function compileQueryParameterMatcher(
  matcher: QueryParameterMatcher__Output,
  path: FieldPath,
  errors: ConfigError[],
): QueryPredicate | undefined {
  checkSupported(
    'envoy.config.route.v3.QueryParameterMatcher',
    matcher,
    ['name', 'string_match', 'present_match'],
    path,
    errors,
  );
  const name = matcher.name;
  // PGV: name has min_len 1 and max_bytes 1024.
  if (name === '' || Buffer.byteLength(name) > 1024) {
    errors.push({ path: [...path, 'name'], message: 'name must be 1 to 1024 bytes' });
    return undefined;
  }
  switch (matcher.query_parameter_match_specifier) {
    case 'present_match': {
      const present = matcher.present_match ?? false;
      return (source) => (source.firstQueryValue(name) !== undefined) === present;
    }
    case 'string_match': {
      const test = compileStringMatcher(matcher.string_match ?? null, [...path, 'string_match'], errors);
      if (!test) return undefined;
      return (source) => {
        const value = source.firstQueryValue(name);
        return value !== undefined && test(value);
      };
    }
    default:
      return (source) => source.firstQueryValue(name) !== undefined;
  }
}
