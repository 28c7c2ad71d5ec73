/**
 * A CORS policy as Envoy's Router::CorsPolicyImplBase compiles it, from either the CORS filter's
 * per-route `cors.v3.CorsPolicy` or the deprecated `cors` field of a route action or virtual
 * host (`route.v3.CorsPolicy`); both have the same fields. An empty string or an unset
 * BoolValue means "not set here", so a less specific policy may supply it (cors_filter.cc).
 */
import type { CorsPolicy__Output as RouteCorsPolicy } from '../../../xds/generated/envoy/config/route/v3/CorsPolicy.js';
import type { CorsPolicy__Output as FilterCorsPolicy } from '../../../xds/generated/envoy/extensions/filters/http/cors/v3/CorsPolicy.js';
import type { FieldPath } from '../../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../../config/config-error.js';
import { checkHeaderValue } from '../../matchers/field-checks.js';
import { compileStringMatcher, type StringPredicate } from '../../matchers/string-matcher.js';
import { compileRuntimeFractionalPercent, type Fraction } from './fractional-percent.js';

export const ROUTE_CORS_POLICY = 'envoy.config.route.v3.CorsPolicy';
export const FILTER_CORS_POLICY = 'envoy.extensions.filters.http.cors.v3.CorsPolicy';

const SUPPORTED = [
  'allow_origin_string_match',
  'allow_methods',
  'allow_headers',
  'expose_headers',
  'max_age',
  'allow_credentials',
  'filter_enabled',
  'shadow_enabled',
  'allow_private_network_access',
  'forward_not_matching_preflights',
];

export interface CorsPolicyFields {
  readonly allowOrigins: readonly StringPredicate[];
  readonly allowMethods: string;
  readonly allowHeaders: string;
  readonly exposeHeaders: string;
  readonly maxAge: string;
  readonly allowCredentials: boolean | undefined;
  readonly allowPrivateNetworkAccess: boolean | undefined;
  readonly forwardNotMatchingPreflights: boolean | undefined;
  /** undefined: filter_enabled unset, the policy is enabled (CorsPolicyImplBase::enabled). */
  readonly enabled: Fraction | undefined;
  /** undefined: shadow_enabled unset, shadow mode is off. */
  readonly shadowEnabled: Fraction | undefined;
}

/** A class, so the CORS filter can tell its per-route configs apart from other filters'. */
export class CorsPolicy implements CorsPolicyFields {
  readonly allowOrigins: readonly StringPredicate[];
  readonly allowMethods: string;
  readonly allowHeaders: string;
  readonly exposeHeaders: string;
  readonly maxAge: string;
  readonly allowCredentials: boolean | undefined;
  readonly allowPrivateNetworkAccess: boolean | undefined;
  readonly forwardNotMatchingPreflights: boolean | undefined;
  readonly enabled: Fraction | undefined;
  readonly shadowEnabled: Fraction | undefined;

  constructor(fields: CorsPolicyFields) {
    this.allowOrigins = fields.allowOrigins;
    this.allowMethods = fields.allowMethods;
    this.allowHeaders = fields.allowHeaders;
    this.exposeHeaders = fields.exposeHeaders;
    this.maxAge = fields.maxAge;
    this.allowCredentials = fields.allowCredentials;
    this.allowPrivateNetworkAccess = fields.allowPrivateNetworkAccess;
    this.forwardNotMatchingPreflights = fields.forwardNotMatchingPreflights;
    this.enabled = fields.enabled;
    this.shadowEnabled = fields.shadowEnabled;
  }
}

export function compileCorsPolicy(
  typeName: typeof ROUTE_CORS_POLICY | typeof FILTER_CORS_POLICY,
  policy: RouteCorsPolicy | FilterCorsPolicy,
  path: FieldPath,
  errors: ConfigError[],
): CorsPolicy | undefined {
  const before = errors.length;
  checkSupported(typeName, policy, SUPPORTED, path, errors);
  const allowOrigins: StringPredicate[] = [];
  policy.allow_origin_string_match.forEach((matcher, i) => {
    const compiled = compileStringMatcher(matcher, [...path, 'allow_origin_string_match', i], errors);
    if (compiled) allowOrigins.push(compiled);
  });
  // The values are copied into response headers verbatim, so they must be valid header values.
  for (const field of ['allow_methods', 'allow_headers', 'expose_headers', 'max_age'] as const)
    checkHeaderValue(policy[field], [...path, field], errors);
  const enabled = policy.filter_enabled
    ? compileRuntimeFractionalPercent(policy.filter_enabled, [...path, 'filter_enabled'], errors)
    : undefined;
  const shadowEnabled = policy.shadow_enabled
    ? compileRuntimeFractionalPercent(policy.shadow_enabled, [...path, 'shadow_enabled'], errors)
    : undefined;
  if (errors.length > before) return undefined;
  return new CorsPolicy({
    allowOrigins,
    allowMethods: policy.allow_methods,
    allowHeaders: policy.allow_headers,
    exposeHeaders: policy.expose_headers,
    maxAge: policy.max_age,
    allowCredentials: policy.allow_credentials?.value,
    allowPrivateNetworkAccess: policy.allow_private_network_access?.value,
    forwardNotMatchingPreflights: policy.forward_not_matching_preflights?.value,
    enabled,
    shadowEnabled,
  });
}
