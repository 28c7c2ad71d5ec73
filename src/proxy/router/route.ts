/** One route.v3.Route: its match, its action and its own header mutations. */
import type { Route__Output } from '../../xds/generated/envoy/config/route/v3/Route.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { compileDirectResponse } from './direct-response.js';
import { compileForwardAction } from './forward-action.js';
import { compileHeaderMutations, REQUEST_FIELDS, RESPONSE_FIELDS } from './header-mutation.js';
import { compileRedirect } from './redirect.js';
import { type CompiledMatch, compileRouteMatch } from './route-match.js';
import { DEFERRED_ROUTE_FIELDS, INFORMATIONAL_FIELDS } from './supported-fields.js';
import type { CompiledRoute, RouteAction } from './types.js';

const SUPPORTED = [
  'name',
  'match',
  'route',
  'redirect',
  'direct_response',
  'request_headers_to_add',
  'request_headers_to_remove',
  'response_headers_to_add',
  'response_headers_to_remove',
  ...DEFERRED_ROUTE_FIELDS,
  ...INFORMATIONAL_FIELDS,
] as const;

export interface RouteLimits {
  readonly maxDirectResponseBodyBytes: number;
}

export function compileRoute(
  route: Route__Output,
  limits: RouteLimits,
  path: FieldPath,
  errors: ConfigError[],
): { route: CompiledRoute; match: CompiledMatch } | undefined {
  const before = errors.length;
  checkSupported('envoy.config.route.v3.Route', route, SUPPORTED, path, errors);
  if (route.decorator) {
    checkSupported(
      'envoy.config.route.v3.Decorator',
      route.decorator,
      ['operation', 'propagate'],
      [...path, 'decorator'],
      errors,
    );
    if (route.decorator.operation === '')
      errors.push({ path: [...path, 'decorator', 'operation'], message: 'must not be empty' });
  }
  const match = compileRouteMatch(route.match, [...path, 'match'], errors);
  // The action is compiled even when the match failed, so every error is reported at once.
  const action = compileAction(route, match?.rewriteLength ?? 0, limits, path, errors);
  const requestHeaderMutations = compileHeaderMutations(
    route.request_headers_to_add,
    route.request_headers_to_remove,
    path,
    REQUEST_FIELDS,
    errors,
  );
  const responseHeaderMutations = compileHeaderMutations(
    route.response_headers_to_add,
    route.response_headers_to_remove,
    path,
    RESPONSE_FIELDS,
    errors,
  );
  if (errors.length > before || !match || !action) return undefined;
  return {
    match,
    route: {
      name: route.name,
      action,
      requestHeaderMutations,
      responseHeaderMutations,
      isTlsRedirect: false,
      raw: route,
    },
  };
}

function compileAction(
  route: Route__Output,
  matchedLength: number | 'whole-path',
  limits: RouteLimits,
  path: FieldPath,
  errors: ConfigError[],
): RouteAction | undefined {
  switch (route.action) {
    case 'route':
      return route.route
        ? compileForwardAction(route.route, matchedLength, [...path, 'route'], errors)
        : undefined;
    case 'redirect':
      return route.redirect
        ? compileRedirect(route.redirect, matchedLength, [...path, 'redirect'], errors)
        : undefined;
    case 'direct_response':
      return route.direct_response
        ? compileDirectResponse(
            route.direct_response,
            limits.maxDirectResponseBodyBytes,
            [...path, 'direct_response'],
            errors,
          )
        : undefined;
    default:
      // filter_action and non_forwarding_action are reported by checkSupported.
      if (route.action === undefined)
        errors.push({ path, message: 'one of route, redirect or direct_response is required' });
      return undefined;
  }
}
