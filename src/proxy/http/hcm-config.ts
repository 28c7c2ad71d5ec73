/**
 * Compiles an Envoy `HttpConnectionManager` into the immutable settings one listener's
 * connections share. Defaults are Envoy's, field by field; a set field Skein does not
 * implement is an error naming its path.
 */

import { durationMs } from '../../xds/duration.js';
import type { HttpConnectionManager__Output } from '../../xds/generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { type FilterContext, httpFilterFactory } from '../filters/registry.js';
import { unpackTypedConfig } from '../filters/typed-config.js';
import type { Http1Limits } from '../http1/limits.js';
import { DEFAULT_LIMITS } from '../http1/limits.js';
import type { EscapedSlashesAction } from '../path/normalize.js';
import { gateByRoute } from '../filters/http/filter-gate.js';
import { routeTableDisablesFilter } from '../router/per-filter-config.js';
import { compileRouteConfiguration, type RouteTable } from '../router/route-table.js';
import type { RouteConfigProvider } from '../xds-client/route-config-providers.js';
import { type AccessLogger, compileAccessLogs } from './access-log.js';
import { type HcmStats, hcmStats } from './hcm-stats.js';
import type { HttpFilter } from './http-filter.js';

const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';


export interface HcmConfig {
  readonly statPrefix: string;
  readonly stats: HcmStats;
  /** The table new requests route with: the inline route_config, or RDS's latest (read per request). */
  readonly routeTable: RouteTable;
  /** With `rds`: the subscription this connection manager holds until it is destroyed. */
  readonly routeConfigProvider?: RouteConfigProvider;
  readonly filterFactories: readonly (() => HttpFilter)[];
  /** Envoy access loggers run when each stream ends. */
  readonly accessLoggers: readonly AccessLogger[];
  readonly serverName: string;
  /** Envoy's server_header_transformation. */
  readonly serverHeader: 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';
  readonly useRemoteAddress: boolean;
  readonly skipXffAppend: boolean;
  readonly xffNumTrustedHops: number;
  readonly generateRequestId: boolean;
  readonly preserveExternalRequestId: boolean;
  readonly alwaysSetRequestIdInResponse: boolean;
  readonly via: string;
  readonly normalizePath: boolean;
  readonly mergeSlashes: boolean;
  readonly escapedSlashesAction: EscapedSlashesAction;
  readonly stripPortMode: 'none' | 'matching' | 'any';
  readonly limits: Http1Limits;
  readonly acceptHttp10: boolean;
  readonly defaultHostForHttp10: string;
  readonly allowAbsoluteUrl: boolean;
  readonly headersWithUnderscores: 'ALLOW' | 'REJECT_REQUEST' | 'DROP_HEADER';
  /** Milliseconds; 0 disables. */
  readonly streamIdleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly requestHeadersTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxStreamDurationMs: number;
  readonly maxRequestsPerConnection: number;
  readonly drainTimeoutMs: number;
  readonly delayedCloseTimeoutMs: number;
}

const SUPPORTED = [
  'codec_type',
  'stat_prefix',
  'route_config',
  'rds',
  'http_filters',
  'server_name',
  'server_header_transformation',
  'use_remote_address',
  'skip_xff_append',
  'xff_num_trusted_hops',
  'generate_request_id',
  'preserve_external_request_id',
  'always_set_request_id_in_response',
  'via',
  'normalize_path',
  'merge_slashes',
  'path_with_escaped_slashes_action',
  'strip_matching_host_port',
  'strip_any_host_port',
  'max_request_headers_kb',
  'http_protocol_options',
  'common_http_protocol_options',
  'stream_idle_timeout',
  'request_timeout',
  'request_headers_timeout',
  'drain_timeout',
  'delayed_close_timeout',
  'access_log',
];
const SUPPORTED_HTTP1 = ['accept_http_10', 'default_host_for_http_10', 'allow_absolute_url'];
const SUPPORTED_COMMON = [
  'idle_timeout',
  'max_headers_count',
  'max_stream_duration',
  'headers_with_underscores_action',
  'max_requests_per_connection',
];

export function compileHcm(
  hcm: HttpConnectionManager__Output,
  path: FieldPath,
  errors: ConfigError[],
  context: FilterContext,
): HcmConfig | undefined {
  const before = errors.length;
  checkSupported(HCM_TYPE, hcm, SUPPORTED, path, errors);
  if (hcm.codec_type !== 'AUTO' && hcm.codec_type !== 'HTTP1') {
    errors.push({
      path: [...path, 'codec_type'],
      message: `codec_type ${hcm.codec_type} is not supported yet (HTTP/1.1 only)`,
    });
  }
  if (!hcm.stat_prefix) errors.push({ path: [...path, 'stat_prefix'], message: 'stat_prefix is required' });
  const http1 = hcm.http_protocol_options;
  if (http1)
    checkSupported(
      'envoy.config.core.v3.Http1ProtocolOptions',
      http1,
      SUPPORTED_HTTP1,
      [...path, 'http_protocol_options'],
      errors,
    );
  const common = hcm.common_http_protocol_options;
  if (common) {
    checkSupported(
      'envoy.config.core.v3.HttpProtocolOptions',
      common,
      SUPPORTED_COMMON,
      [...path, 'common_http_protocol_options'],
      errors,
    );
  }

  let routeTable: RouteTable | undefined;
  let routeConfigProvider: RouteConfigProvider | undefined;
  if (hcm.route_specifier === 'rds' && hcm.rds) {
    routeConfigProvider = subscribeRds(hcm, path, errors, context);
  } else if (hcm.route_specifier === 'route_config' && hcm.route_config) {
    const compiled = compileRouteConfiguration(hcm.route_config, [...path, 'route_config']);
    if (compiled.ok) routeTable = compiled.table;
    else errors.push(...compiled.errors);
  } else {
    errors.push({ path: [...path, 'route_config'], message: 'an inline route_config or rds is required' });
  }

  const filterFactories = compileHttpFilters(hcm, path, errors, context, routeTable);
  const accessLoggers = compileAccessLogs(hcm.access_log, [...path, 'access_log'], errors);
  if (errors.length > before || !(routeTable || routeConfigProvider)) {
    routeConfigProvider?.release();
    return undefined;
  }
  const routes = routeConfigProvider ?? { table: routeTable! };

  const maxHeadersKb = hcm.max_request_headers_kb?.value ?? 60;
  const action = hcm.path_with_escaped_slashes_action as EscapedSlashesAction;
  return {
    statPrefix: hcm.stat_prefix,
    stats: hcmStats(context.stats, hcm.stat_prefix),
    get routeTable() {
      return routes.table;
    },
    routeConfigProvider,
    filterFactories,
    accessLoggers,
    serverName: hcm.server_name || 'envoy',
    serverHeader: hcm.server_header_transformation as HcmConfig['serverHeader'],
    useRemoteAddress: hcm.use_remote_address?.value ?? false,
    skipXffAppend: hcm.skip_xff_append,
    xffNumTrustedHops: hcm.xff_num_trusted_hops,
    generateRequestId: hcm.generate_request_id?.value ?? true,
    preserveExternalRequestId: hcm.preserve_external_request_id,
    alwaysSetRequestIdInResponse: hcm.always_set_request_id_in_response,
    via: hcm.via,
    normalizePath: hcm.normalize_path?.value ?? false,
    mergeSlashes: hcm.merge_slashes,
    escapedSlashesAction: action,
    stripPortMode: hcm.strip_any_host_port ? 'any' : hcm.strip_matching_host_port ? 'matching' : 'none',
    limits: {
      ...DEFAULT_LIMITS,
      maxHeadersBytes: maxHeadersKb * 1024,
      maxHeadersCount: common?.max_headers_count?.value ?? DEFAULT_LIMITS.maxHeadersCount,
    },
    acceptHttp10: http1?.accept_http_10 ?? false,
    defaultHostForHttp10: http1?.default_host_for_http_10 ?? '',
    allowAbsoluteUrl: http1?.allow_absolute_url?.value ?? true,
    headersWithUnderscores: (common?.headers_with_underscores_action ??
      'ALLOW') as HcmConfig['headersWithUnderscores'],
    // Envoy's defaults: stream idle 5 min, request timeout off, headers timeout off,
    // connection idle 1 h, drain 5 s, delayed close 1 s.
    streamIdleTimeoutMs: durationMs(hcm.stream_idle_timeout, 300_000),
    requestTimeoutMs: durationMs(hcm.request_timeout, 0),
    requestHeadersTimeoutMs: durationMs(hcm.request_headers_timeout, 0),
    idleTimeoutMs: durationMs(common?.idle_timeout, 3_600_000),
    maxStreamDurationMs: durationMs(common?.max_stream_duration, 0),
    maxRequestsPerConnection: common?.max_requests_per_connection?.value ?? 0,
    drainTimeoutMs: durationMs(hcm.drain_timeout, 5000),
    delayedCloseTimeoutMs: durationMs(hcm.delayed_close_timeout, 1000),
  };
}

function compileHttpFilters(
  hcm: HttpConnectionManager__Output,
  path: FieldPath,
  errors: ConfigError[],
  context: FilterContext,
  inlineRoutes: RouteTable | undefined,
): (() => HttpFilter)[] {
  const factories: (() => HttpFilter)[] = [];
  const filters = hcm.http_filters;
  if (filters.length === 0) {
    errors.push({ path: [...path, 'http_filters'], message: 'http_filters must end with the router filter' });
  }
  filters.forEach((filter, i) => {
    const filterPath = [...path, 'http_filters', i];
    checkSupported(
      'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter',
      filter,
      ['name', 'typed_config', 'is_optional', 'disabled'],
      filterPath,
      errors,
    );
    const typed = unpackTypedConfig<unknown>(filter.typed_config, [...filterPath, 'typed_config'], errors);
    if (!typed) return;
    const factory = httpFilterFactory(typed.typeName);
    if (!factory) {
      // is_optional: a filter this proxy lacks is left out instead of rejecting the listener.
      if (filter.is_optional) return;
      errors.push({
        path: [...filterPath, 'typed_config'],
        message: `HTTP filter ${typed.typeName} is not supported by Skein`,
      });
      return;
    }
    const isLast = i === filters.length - 1;
    if (factory.terminal !== isLast) {
      errors.push({
        path: filterPath,
        message: factory.terminal
          ? `terminal filter ${filter.name} must be last`
          : 'the last HTTP filter must be a terminal filter (the router)',
      });
      return;
    }
    if (factory.terminal && filter.disabled) {
      errors.push({
        path: [...filterPath, 'disabled'],
        message: `the last (terminal) filter (${filter.name}) in the chain cannot be disabled by default`,
      });
      return;
    }
    const make = factory.create(typed.config, [...filterPath, 'typed_config'], errors, context, {
      name: filter.name,
      statPrefix: hcm.stat_prefix,
    });
    if (!make) return;
    // Routes may switch a filter on or off by name (typed_per_filter_config with FilterConfig);
    // an inline table says up front whether any does, an rds one may change, so it is always asked.
    const routeMayDisable = inlineRoutes ? routeTableDisablesFilter(inlineRoutes, filter.name) : true;
    factories.push(
      filter.disabled || (routeMayDisable && !factory.terminal) ? gateByRoute(filter.name, filter.disabled, make) : make,
    );
  });
  return factories;
}

/**
 * `rds`: the route configuration comes over ADS. The listener warms until it arrives (the
 * provider is an init target), and updates replace the table in place.
 */
function subscribeRds(
  hcm: HttpConnectionManager__Output,
  path: FieldPath,
  errors: ConfigError[],
  context: FilterContext,
): RouteConfigProvider | undefined {
  const rdsPath = [...path, 'rds'];
  if (!context.routeConfigProviders) {
    errors.push({
      path: rdsPath,
      message: 'rds needs a control plane: the bootstrap has no dynamic_resources.ads_config',
    });
    return undefined;
  }
  const provider = context.routeConfigProviders.subscribe(hcm.rds!, hcm.stat_prefix, rdsPath, errors);
  if (provider) context.addInitTarget?.(provider);
  return provider;
}
