/**
 * One route.v3.VirtualHost: its routes in order, its header mutations, and require_tls, which
 * Envoy enforces before any route with a 301 to https://<host><path> (SslRedirectRoute).
 */
import type { VirtualHost__Output } from '../../xds/generated/envoy/config/route/v3/VirtualHost.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { checkHeaderValue } from '../matchers/field-checks.js';
import { compileHeaderMutations, REQUEST_FIELDS, RESPONSE_FIELDS } from './header-mutation.js';
import { firstHeader } from './headers.js';
import { compileMirrorPolicies } from './mirror-policy.js';
import { compileRetryPolicy } from './retry-policy.js';
import { compileRoute, type RouteLimits } from './route.js';
import type { CompiledMatch } from './route-match.js';
import { DEFERRED_VIRTUAL_HOST_FIELDS } from './supported-fields.js';
import type { CompiledRoute, CompiledVirtualHost, RouteDecision, RouteRequest } from './types.js';

const SUPPORTED = [
  'name',
  'domains',
  'routes',
  'require_tls',
  'request_headers_to_add',
  'request_headers_to_remove',
  'response_headers_to_add',
  'response_headers_to_remove',
  'metadata',
  'retry_policy',
  'request_mirror_policies',
  ...DEFERRED_VIRTUAL_HOST_FIELDS,
] as const;

export interface RouteEntry {
  readonly match: CompiledMatch;
  /** Built once, so routing a request allocates no decision object. */
  readonly decision: RouteDecision;
}

export interface VirtualHostEntry {
  readonly virtualHost: CompiledVirtualHost;
  readonly routes: readonly RouteEntry[];
  readonly requireTls: 'NONE' | 'EXTERNAL_ONLY' | 'ALL';
  /** The decision require_tls forces for this request, if any. */
  tlsRedirect(req: RouteRequest): RouteDecision | undefined;
}

export function compileVirtualHost(
  host: VirtualHost__Output,
  limits: RouteLimits,
  path: FieldPath,
  errors: ConfigError[],
): VirtualHostEntry | undefined {
  const before = errors.length;
  checkSupported('envoy.config.route.v3.VirtualHost', host, SUPPORTED, path, errors);
  if (host.name === '') errors.push({ path: [...path, 'name'], message: 'must not be empty' });
  if (host.domains.length === 0)
    errors.push({ path: [...path, 'domains'], message: 'at least one domain is required' });
  host.domains.forEach((domain, i) => {
    checkHeaderValue(domain, [...path, 'domains', i], errors);
  });
  if (!['NONE', 'EXTERNAL_ONLY', 'ALL'].includes(host.require_tls)) {
    errors.push({
      path: [...path, 'require_tls'],
      message: `unknown require_tls ${String(host.require_tls)}`,
    });
  }

  const routes: CompiledRoute[] = [];
  const compiledRoutes: { route: CompiledRoute; match: CompiledMatch }[] = [];
  host.routes.forEach((route, i) => {
    const compiled = compileRoute(route, limits, [...path, 'routes', i], errors);
    if (compiled) {
      routes.push(compiled.route);
      compiledRoutes.push(compiled);
    }
  });
  const requestHeaderMutations = compileHeaderMutations(
    host.request_headers_to_add,
    host.request_headers_to_remove,
    path,
    REQUEST_FIELDS,
    errors,
  );
  const responseHeaderMutations = compileHeaderMutations(
    host.response_headers_to_add,
    host.response_headers_to_remove,
    path,
    RESPONSE_FIELDS,
    errors,
  );
  const retryPolicy = host.retry_policy
    ? compileRetryPolicy(host.retry_policy, [...path, 'retry_policy'], errors)
    : undefined;
  const mirrorPolicies = compileMirrorPolicies(
    host.request_mirror_policies,
    [...path, 'request_mirror_policies'],
    errors,
  );
  if (errors.length > before) return undefined;

  const virtualHost: CompiledVirtualHost = {
    name: host.name,
    domains: host.domains,
    routes,
    requestHeaderMutations,
    responseHeaderMutations,
    retryPolicy,
    mirrorPolicies,
    raw: host,
  };
  return {
    virtualHost,
    routes: compiledRoutes.map(({ route, match }) => ({ match, decision: { virtualHost, route } })),
    requireTls: host.require_tls as VirtualHostEntry['requireTls'],
    tlsRedirect: tlsRedirectFor(host.require_tls, virtualHost),
  };
}

function tlsRedirectFor(
  requireTls: string,
  virtualHost: CompiledVirtualHost,
): (req: RouteRequest) => RouteDecision | undefined {
  if (requireTls === 'NONE') return () => undefined;
  const decision: RouteDecision = {
    virtualHost,
    route: {
      name: '',
      action: {
        kind: 'redirect',
        redirect: (req) => ({ status: 301, location: `https://${req.authority}${req.path}` }),
      },
      requestHeaderMutations: undefined,
      responseHeaderMutations: undefined,
      isTlsRedirect: true,
      raw: null,
    },
  };
  if (requireTls === 'ALL') return (req) => (req.scheme === 'https' ? undefined : decision);
  // EXTERNAL_ONLY: requests Envoy marked internal (x-envoy-internal: true) may stay on http.
  return (req) =>
    req.scheme === 'https' || firstHeader(req.headers, 'x-envoy-internal') === 'true' ? undefined : decision;
}
