/**
 * Fields Skein accepts without acting on them in the router, because a later filter implements
 * them and reads them from the compiled objects' `raw`. Every other field the router does not
 * implement is a config error (checkSupported), never silently ignored.
 */

/** RouteAction fields for the CORS and rate-limit filters. */
export const DEFERRED_ROUTE_ACTION_FIELDS = [
  'cors',
  'rate_limits',
  'include_vh_rate_limits',
] as const;

export const DEFERRED_VIRTUAL_HOST_FIELDS = [
  'cors',
  'typed_per_filter_config',
  'rate_limits',
] as const;

export const DEFERRED_ROUTE_FIELDS = ['typed_per_filter_config'] as const;

export const DEFERRED_ROUTE_CONFIGURATION_FIELDS = [
  'typed_per_filter_config',
] as const;

/**
 * Informational fields with no routing behaviour, kept in `raw`: route/virtual host/route config
 * `metadata`, and the route `decorator` (only a tracing span name, and Skein does not trace yet).
 */
export const INFORMATIONAL_FIELDS = ['metadata', 'decorator'] as const;
