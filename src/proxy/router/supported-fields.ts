/**
 * Fields Skein accepts without acting on them in the router, because a later filter implements
 * them and reads them from the compiled objects' `raw`. Every other field the router does not
 * implement is a config error (checkSupported), never silently ignored.
 */

/** RouteAction fields for the retry, mirroring, CORS and rate-limit work. */
export const DEFERRED_ROUTE_ACTION_FIELDS = [
  'retry_policy',
  'request_mirror_policies',
  'cors',
  'rate_limits',
  'include_vh_rate_limits',
] as const;

export const DEFERRED_VIRTUAL_HOST_FIELDS = [
  'retry_policy',
  'request_mirror_policies',
  'cors',
  'typed_per_filter_config',
  'rate_limits',
] as const;

export const DEFERRED_ROUTE_FIELDS = ['typed_per_filter_config'] as const;

export const DEFERRED_ROUTE_CONFIGURATION_FIELDS = [
  'request_mirror_policies',
  'typed_per_filter_config',
] as const;

/**
 * Informational fields with no routing behaviour, kept in `raw`: route/virtual host/route config
 * `metadata`, and the route `decorator` (only a tracing span name, and Skein does not trace yet).
 */
export const INFORMATIONAL_FIELDS = ['metadata', 'decorator'] as const;
