/**
 * `envoy.filters.http.cors` (extensions/filters/http/cors/cors_filter.cc). Policies come from
 * the routes' typed_per_filter_config (`cors.v3.CorsPolicy`, the route's first) or, when there
 * is none, from the deprecated `cors` field of the route action and the virtual host; each field
 * is taken from the most specific policy that sets it, while filter_enabled and shadow_enabled
 * come from the most specific policy alone. A preflight (OPTIONS with Origin and
 * Access-Control-Request-Method) is answered here with 200; other requests from an allowed
 * origin get access-control-allow-origin (and -credentials, -expose-headers) on the response.
 * Only routes that forward have CORS (Envoy's routeEntry()). Stats:
 * `http.<stat_prefix>.cors.{origin_valid,origin_invalid}`.
 */
import type { FilterStatus, HttpFilter, HttpStream, ResponseHead } from '../../http/http-filter.js';
import { firstHeader } from '../../router/headers.js';
import { allPerFilterConfigs, legacyCorsPolicies } from '../../router/per-filter-config.js';
import type { Counter } from '../../stats/stats.js';
import type { HttpFilterFactory } from '../registry.js';
import type { CorsPolicy__Output } from '../../../xds/generated/envoy/extensions/filters/http/cors/v3/CorsPolicy.js';
import { compileCorsPolicy, CorsPolicy, FILTER_CORS_POLICY } from './cors-policy.js';
import { checkSupported } from '../../config/config-error.js';
import { httpFilterScope } from './filter-stats.js';
import { inFraction, type Random } from './fractional-percent.js';

const CORS = 'envoy.extensions.filters.http.cors.v3.Cors';

export const corsFilterFactory: HttpFilterFactory = {
  typeName: CORS,
  terminal: false,
  routeConfigTypeName: FILTER_CORS_POLICY,
  create(config, path, errors, context, filter) {
    checkSupported(CORS, config as object, [], path, errors);
    const scope = httpFilterScope(context.stats, filter.statPrefix, 'cors');
    const shared: CorsFilterConfig = {
      name: filter.name,
      originValid: scope.counter('origin_valid'),
      originInvalid: scope.counter('origin_invalid'),
      random: Math.random,
    };
    return () => new CorsFilter(shared);
  },
  createRouteConfig(config, path, errors) {
    return compileCorsPolicy(FILTER_CORS_POLICY, config as CorsPolicy__Output, path, errors);
  },
};

export interface CorsFilterConfig {
  readonly name: string;
  readonly originValid: Counter;
  readonly originInvalid: Counter;
  readonly random: Random;
}

export class CorsFilter implements HttpFilter {
  private readonly config: CorsFilterConfig;
  /** Most specific first. */
  private policies: CorsPolicy[] = [];
  private isCorsRequest = false;
  /** The request's Origin when it is allowed; '' otherwise. */
  private latchedOrigin = '';

  constructor(config: CorsFilterConfig) {
    this.config = config;
  }

  decodeHeaders(stream: HttpStream): FilterStatus {
    if (stream.route()?.route.action.kind !== 'forward') return 'continue';
    this.policies = allPerFilterConfigs(stream, this.config.name, CorsPolicy).reverse();
    if (this.policies.length === 0) this.policies = legacyCorsPolicies(stream);
    const first = this.policies[0];
    if (!first) return 'continue';
    // filter_enabled unset means enabled, shadow_enabled unset means off (CorsPolicyImplBase).
    const enabled = first.enabled === undefined || inFraction(first.enabled, this.config.random);
    const shadow = first.shadowEnabled !== undefined && inFraction(first.shadowEnabled, this.config.random);
    if (!enabled && !shadow) return 'continue';

    const origin = firstHeader(stream.headers, 'origin');
    if (origin === undefined || origin === '') return 'continue';
    const allowed = this.isOriginAllowed(origin);
    if (allowed) {
      this.config.originValid.inc();
      this.latchedOrigin = origin;
    } else {
      this.config.originInvalid.inc();
    }
    // Shadow mode only counts.
    if (!enabled) return 'continue';
    this.isCorsRequest = true;

    const requestMethod = firstHeader(stream.headers, 'access-control-request-method');
    if (stream.method !== 'OPTIONS' || requestMethod === undefined || requestMethod === '') return 'continue';
    if (!allowed && this.pick((p) => p.forwardNotMatchingPreflights) !== false) return 'continue';

    const headers: string[] = [];
    if (allowed) headers.push('access-control-allow-origin', origin);
    if (this.pick((p) => p.allowCredentials) === true) headers.push('access-control-allow-credentials', 'true');
    const allowMethods = this.pickString((p) => p.allowMethods);
    if (allowMethods !== '')
      headers.push('access-control-allow-methods', allowMethods === '*' ? requestMethod : allowMethods);
    const allowHeaders = this.pickString((p) => p.allowHeaders);
    if (allowHeaders !== '') {
      const requested = allowHeaders === '*' ? firstHeader(stream.headers, 'access-control-request-headers') : allowHeaders;
      // Envoy sets the header even to an empty value; an empty header line carries nothing.
      if (requested) headers.push('access-control-allow-headers', requested);
    }
    const maxAge = this.pickString((p) => p.maxAge);
    if (maxAge !== '') headers.push('access-control-max-age', maxAge);
    if (
      this.pick((p) => p.allowPrivateNetworkAccess) === true &&
      firstHeader(stream.headers, 'access-control-request-private-network') === 'true'
    )
      headers.push('access-control-allow-private-network', 'true');
    stream.sendLocalReply(200, '', undefined, 'cors_response', headers);
    return 'stop';
  }

  encodeHeaders(_stream: HttpStream, head: ResponseHead): void {
    if (!this.isCorsRequest || this.latchedOrigin === '') return;
    setInPlace(head.headers, 'access-control-allow-origin', this.latchedOrigin);
    if (this.pick((p) => p.allowCredentials) === true) setInPlace(head.headers, 'access-control-allow-credentials', 'true');
    const expose = this.pickString((p) => p.exposeHeaders);
    if (expose !== '') setInPlace(head.headers, 'access-control-expose-headers', expose);
  }

  /** An origin is allowed when a matcher accepts it, or accepts "*" (CorsFilter::isOriginAllowed). */
  private isOriginAllowed(origin: string): boolean {
    const matchers = this.policies.find((p) => p.allowOrigins.length > 0)?.allowOrigins ?? [];
    return matchers.some((matches) => matches('*') || matches(origin));
  }

  /** The most specific policy's value for an optional boolean field. */
  private pick(field: (policy: CorsPolicy) => boolean | undefined): boolean | undefined {
    for (const policy of this.policies) {
      const value = field(policy);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  private pickString(field: (policy: CorsPolicy) => string): string {
    for (const policy of this.policies) {
      const value = field(policy);
      if (value !== '') return value;
    }
    return '';
  }
}

/** HeaderMap::setInline: the first line of `name` takes the value and later ones go; else it is appended. */
function setInPlace(headers: string[], name: string, value: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] !== name) continue;
    headers[i + 1] = value;
    for (let j = headers.length - 2; j > i; j -= 2) if (headers[j] === name) headers.splice(j, 2);
    return;
  }
  headers.push(name, value);
}
