/**
 * One VirtualService HTTP route (and one of its matches) → one Envoy Route, as Istio's
 * `TranslateRoute` does it (pilot/pkg/networking/core/route/route.go, route/retry/retry.go).
 */
import type {
  ConsistentHashLB,
  CorsPolicy,
  Destination,
  Headers,
  HTTPFaultInjection,
  HTTPMatchRequest,
  HTTPRedirect,
  HTTPRetry,
  HTTPRoute,
  HTTPRouteDestination,
  MeshConfig,
  Percent,
  Service,
  StringMatch,
} from '../model/index.js';
import { durationSeconds, toProtoDuration } from './duration.js';
import { outboundClusterName, parseSubsetKey } from './names.js';
import type { ProxyView } from './sidecar-scope.js';
import { typedConfig, type Json } from './xds-resource.js';

export const FAULT_FILTER = 'envoy.filters.http.fault';
export const CORS_FILTER = 'envoy.filters.http.cors';
export const ROUTER_FILTER = 'envoy.filters.http.router';

export interface RouteOptions {
  readonly view: ProxyView;
  readonly mesh: MeshConfig;
  /** The listener port routes are built for (0 when unknown). */
  readonly listenPort: number;
  /** Gateways this proxy is: `mesh` for sidecars, `ns/name` for gateways. */
  readonly gatewayNames: ReadonlySet<string>;
  /** Gateway server is TLS (redirect scheme default). */
  readonly isTls: boolean;
  /** Proxyless gRPC: timeouts become max_stream_duration, CORS is not generated. */
  readonly grpc: boolean;
  lookupService(hostname: string): Service | undefined;
  /** The DestinationRule consistent-hash for a destination, if any. */
  lookupHash(destination: Destination): ConsistentHashLB | undefined;
}

/** Istio `GetDestinationCluster`: destination port, else the service's only port, else the listener port. */
export function destinationCluster(dest: Destination, service: Service | undefined, listenPort: number): string {
  if (!dest.host) return 'UnknownService';
  let port = listenPort;
  if (dest.port?.number) port = dest.port.number;
  else if (service && service.ports.length === 1 && service.ports[0]) port = service.ports[0].port;
  return outboundClusterName(dest.host, port, dest.subset ?? '');
}

/** Istio `ConvertToEnvoyMatch`. */
export function stringMatcher(m: StringMatch): Json | undefined {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.regex !== undefined) return { safe_regex: { regex: m.regex } };
  return undefined;
}

/** Istio `canBeConvertedToPresentMatch`: an empty match or regex `*` means "present". */
function isPresentMatch(m: StringMatch | undefined): boolean {
  return !m || (m.exact === undefined && m.prefix === undefined && (m.regex === undefined || m.regex === '*'));
}

function headerMatcher(name: string, m: StringMatch | undefined): Json {
  if (isPresentMatch(m)) return { name, present_match: true };
  return { name, string_match: m ? stringMatcher(m) : undefined };
}

function sortedEntries<T>(o: Readonly<Record<string, T>> | undefined): [string, T][] {
  return Object.entries(o ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Istio `TranslateRouteMatch`. */
export function translateRouteMatch(match: HTTPMatchRequest | undefined, gatewaySemantics: boolean): Json {
  const out: Json = { prefix: '/' };
  if (!match) return out;
  const headers: Json[] = [];
  for (const [name, m] of sortedEntries(match.headers)) headers.push(headerMatcher(name, m));
  for (const [name, m] of sortedEntries(match.withoutHeaders)) {
    const h = headerMatcher(name, m);
    h.invert_match = true;
    if (!isPresentMatch(m)) h.treat_missing_header_as_empty = true;
    headers.push(h);
  }
  headers.sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : (a.name as string) > (b.name as string) ? 1 : 0));
  const uri = match.uri;
  if (uri) {
    delete out.prefix;
    if (uri.exact !== undefined) out.path = uri.exact;
    else if (uri.prefix !== undefined) {
      // Gateway API PathPrefix matches whole path segments (Istio UseGatewaySemantics).
      if (gatewaySemantics && uri.prefix !== '/') out.path_separated_prefix = uri.prefix.replace(/\/$/, '');
      else out.prefix = uri.prefix;
    } else if (uri.regex !== undefined) out.safe_regex = { regex: uri.regex };
    else out.prefix = '/';
  }
  out.case_sensitive = !match.ignoreUriCase;
  if (match.method) headers.push(headerMatcher(':method', match.method));
  if (match.authority) headers.push(headerMatcher(':authority', match.authority));
  if (match.scheme) headers.push(headerMatcher(':scheme', match.scheme));
  if (headers.length > 0) out.headers = headers;
  const query = sortedEntries(match.queryParams).map(([name, m]) =>
    isPresentMatch(m) ? { name, present_match: true } : { name, string_match: stringMatcher(m) },
  );
  if (query.length > 0) out.query_parameters = query;
  return out;
}

/** Istio `IsCatchAllRoute`. */
export function isCatchAllRoute(route: Json): boolean {
  const m = route.match as Json;
  const catchAll =
    m.prefix === '/' || m.path_separated_prefix === '/' || (m.safe_regex as Json | undefined)?.regex === '.*';
  return catchAll && !m.headers && !m.query_parameters;
}

/** Istio `sourceMatchHTTP`: match gateways, else source labels and namespace. */
export function sourceMatches(match: HTTPMatchRequest | undefined, opts: RouteOptions): boolean {
  if (!match) return true;
  if (match.gateways && match.gateways.length > 0) return match.gateways.some((g) => opts.gatewayNames.has(g));
  if (!opts.view.matches(match.sourceLabels)) return false;
  return !match.sourceNamespace || match.sourceNamespace === opts.view.namespace;
}

function isInternalHeader(key: string): boolean {
  return key.startsWith(':') || key.toLowerCase() === 'host';
}

function isAuthorityHeader(key: string): boolean {
  return key.toLowerCase() === ':authority' || key.toLowerCase() === 'host';
}

/** Istio `translateAppendHeaders`: sorted by key; `set` overwrites, `add` appends (the proto default). */
function headerOptions(headers: Readonly<Record<string, string>> | undefined, append: boolean): { options: Json[]; authority: string } {
  let authority = '';
  const options: Json[] = [];
  for (const [key, value] of sortedEntries(headers)) {
    if (isAuthorityHeader(key)) authority = value;
    if (isInternalHeader(key)) continue;
    options.push({ header: { key, value }, ...(append ? {} : { append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }) });
  }
  return { options, authority };
}

interface HeaderOps {
  requestHeadersToAdd: Json[];
  responseHeadersToAdd: Json[];
  requestHeadersToRemove: string[];
  responseHeadersToRemove: string[];
  authority: string;
}

/** Istio `TranslateHeadersOperations`. */
export function translateHeaders(h: Headers): HeaderOps {
  const reqSet = headerOptions(h.request?.set, false);
  const reqAdd = headerOptions(h.request?.add, true);
  const respSet = headerOptions(h.response?.set, false);
  const respAdd = headerOptions(h.response?.add, true);
  return {
    requestHeadersToAdd: [...reqSet.options, ...reqAdd.options],
    responseHeadersToAdd: [...respSet.options, ...respAdd.options],
    requestHeadersToRemove: (h.request?.remove ?? []).filter((k) => !isInternalHeader(k)),
    responseHeadersToRemove: (h.response?.remove ?? []).filter((k) => !isInternalHeader(k)),
    authority: reqSet.authority || reqAdd.authority,
  };
}

function applyHeaderOps(target: Json, ops: HeaderOps): void {
  if (ops.requestHeadersToAdd.length) target.request_headers_to_add = [...((target.request_headers_to_add as Json[]) ?? []), ...ops.requestHeadersToAdd];
  if (ops.requestHeadersToRemove.length) target.request_headers_to_remove = [...((target.request_headers_to_remove as string[]) ?? []), ...ops.requestHeadersToRemove];
  if (ops.responseHeadersToAdd.length) target.response_headers_to_add = [...((target.response_headers_to_add as Json[]) ?? []), ...ops.responseHeadersToAdd];
  if (ops.responseHeadersToRemove.length) target.response_headers_to_remove = [...((target.response_headers_to_remove as string[]) ?? []), ...ops.responseHeadersToRemove];
}

/** FractionalPercent in JSON; zero values (numerator 0, HUNDRED) are left out, as config_dump prints them. */
function fraction(numerator: number, denominator: 'HUNDRED' | 'MILLION'): Json {
  return { ...(numerator !== 0 ? { numerator } : {}), ...(denominator !== 'HUNDRED' ? { denominator } : {}) };
}

/** Istio `translatePercentToFractionalPercent`: value × 10000 per million. */
function percentFraction(p: Percent): Json {
  return fraction(Math.trunc((p.value ?? 0) * 10000), 'MILLION');
}

const RETRY_PREVIOUS_HOSTS: Json = {
  name: 'envoy.retry_host_predicates.previous_hosts',
  typed_config: typedConfig('envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate'),
};
const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

/** Istio `parseRetryOn`: numeric HTTP status codes become retriable_status_codes. */
function parseRetryOn(retryOn: string): { retryOn: string; codes: number[] } {
  const codes: number[] = [];
  const rest: string[] = [];
  for (const part of retryOn.split(',').map((p) => p.trim()).filter((p) => p)) {
    const n = Number(part);
    if (/^\d+$/.test(part) && n >= 100 && n <= 599) codes.push(n);
    else rest.push(part);
  }
  return { retryOn: rest.join(','), codes };
}

/**
 * Istio `retry.ConvertPolicy`: unset → 2 retries on connect-failure, refused-stream,
 * unavailable, cancelled, retriable-status-codes, preferring other hosts (not with consistent
 * hashing), 5 host selection attempts; `attempts: 0` → no retries.
 */
export function retryPolicy(retries: HTTPRetry | undefined, consistentHash: boolean): Json | undefined {
  const base = (): Json => ({
    retry_on: DEFAULT_RETRY_ON,
    num_retries: 2,
    ...(consistentHash ? {} : { retry_host_predicate: [RETRY_PREVIOUS_HOSTS] }),
    host_selection_retry_max_attempts: '5',
  });
  if (!retries) return base();
  if (!retries.attempts || retries.attempts <= 0) return undefined;
  const out = base();
  out.num_retries = retries.attempts;
  if (retries.retryOn) {
    const parsed = parseRetryOn(retries.retryOn);
    out.retry_on = parsed.retryOn;
    if (parsed.codes.length > 0) {
      out.retriable_status_codes = parsed.codes;
      if (!parsed.retryOn.includes('retriable-status-codes')) out.retry_on = parsed.retryOn ? `${parsed.retryOn},retriable-status-codes` : 'retriable-status-codes';
    }
  }
  if (retries.perTryTimeout) out.per_try_timeout = toProtoDuration(retries.perTryTimeout);
  if (retries.retryIgnorePreviousHosts !== undefined) {
    if (retries.retryIgnorePreviousHosts) out.retry_host_predicate = [RETRY_PREVIOUS_HOSTS];
    else delete out.retry_host_predicate;
  }
  if (retries.backoff) out.retry_back_off = { base_interval: toProtoDuration(retries.backoff) };
  return out;
}

const GRPC_STATUS: Readonly<Record<string, number>> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

/** Istio `TranslateFault`: fixed delays and HTTP/gRPC aborts; undefined when nothing applies. */
export function translateFault(fault: HTTPFaultInjection): Json | undefined {
  const out: Json = {};
  if (fault.delay?.fixedDelay) {
    out.delay = {
      fixed_delay: toProtoDuration(fault.delay.fixedDelay),
      percentage: fault.delay.percentage ? percentFraction(fault.delay.percentage) : fraction(fault.delay.percent ?? 0, 'HUNDRED'),
    };
  }
  const abort = fault.abort;
  if (abort && (abort.httpStatus !== undefined || abort.grpcStatus !== undefined)) {
    out.abort = {
      ...(abort.httpStatus !== undefined ? { http_status: abort.httpStatus } : { grpc_status: GRPC_STATUS[abort.grpcStatus ?? ''] ?? 0 }),
      ...(abort.percentage ? { percentage: percentFraction(abort.percentage) } : {}),
    };
  }
  return out.delay || out.abort ? typedConfig('envoy.extensions.filters.http.fault.v3.HTTPFault', out) : undefined;
}

/** Istio `TranslateCORSPolicy`. */
export function translateCors(cors: CorsPolicy): Json {
  const out: Json = {};
  if (cors.allowOrigins) out.allow_origin_string_match = cors.allowOrigins.map(stringMatcher).filter((m) => m);
  else if (cors.allowOrigin) out.allow_origin_string_match = cors.allowOrigin.map((o) => ({ exact: o }));
  if (cors.allowMethods?.length) out.allow_methods = cors.allowMethods.join(',');
  if (cors.allowHeaders?.length) out.allow_headers = cors.allowHeaders.join(',');
  if (cors.exposeHeaders?.length) out.expose_headers = cors.exposeHeaders.join(',');
  const maxAge = durationSeconds(cors.maxAge);
  if (maxAge !== undefined) out.max_age = String(maxAge);
  if (cors.allowCredentials !== undefined) out.allow_credentials = cors.allowCredentials;
  out.filter_enabled = { default_value: fraction(100, 'HUNDRED') };
  out.forward_not_matching_preflights = cors.unmatchedPreflights !== 'IGNORE';
  return typedConfig('envoy.extensions.filters.http.cors.v3.CorsPolicy', out);
}

/** Istio `ConsistentHashToHashPolicy`. */
export function hashPolicy(hash: ConsistentHashLB | undefined): Json | undefined {
  if (!hash) return undefined;
  if (hash.httpHeaderName) return { header: { header_name: hash.httpHeaderName } };
  if (hash.httpCookie) {
    const c = hash.httpCookie;
    return {
      cookie: {
        name: c.name,
        ...(c.ttl ? { ttl: toProtoDuration(c.ttl) } : {}),
        ...(c.path ? { path: c.path } : {}),
        ...(c.attributes?.length ? { attributes: c.attributes.map((a) => ({ name: a.name, ...(a.value ? { value: a.value } : {}) })) } : {}),
      },
    };
  }
  if (hash.useSourceIp) return { connection_properties: { source_ip: true } };
  if (hash.httpQueryParameterName) return { query_parameter: { name: hash.httpQueryParameterName } };
  return undefined;
}

/** Istio `ApplyRedirect`; undefined for an unsupported redirect code (Istio drops the action). */
function redirectAction(r: HTTPRedirect, listenPort: number, isTls: boolean): Json | undefined {
  const out: Json = {};
  if (r.authority) out.host_redirect = r.authority;
  if (r.prefixRewrite) out.prefix_rewrite = r.prefixRewrite;
  else if (r.uri) out.path_redirect = r.uri;
  if (r.scheme) out.scheme_redirect = r.scheme;
  if (r.port !== undefined || r.derivePort) {
    let port = 0;
    if (r.derivePort === 'FROM_REQUEST_PORT') port = listenPort;
    else if (r.port !== undefined) port = r.port;
    const scheme = r.scheme || (isTls ? 'https' : 'http');
    if ((port === 80 && scheme === 'http') || (port === 443 && scheme === 'https')) port = 0;
    if (port) out.port_redirect = port;
  }
  const codes: Record<number, string> = { 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT' };
  const code = r.redirectCode ?? 301;
  if (code !== 301) {
    const name = codes[code];
    if (!name) return undefined;
    out.response_code = name;
  }
  return out;
}

/** Istio `MirrorPercent`: `mirrorPercentage` wins, then the deprecated integer, else 100 %. */
function mirrorFraction(percentage: Percent | undefined, integer: number | undefined, legacy: boolean): Json | undefined {
  if (percentage) return (percentage.value ?? 0) > 0 ? { default_value: percentFraction(percentage) } : undefined;
  if (legacy && integer !== undefined) return integer > 0 ? { default_value: fraction(integer, 'HUNDRED') } : undefined;
  return { default_value: fraction(100, 'HUNDRED') };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Istio `applyHTTPRouteDestination`. */
function routeAction(out: Json, route: HTTPRoute, opts: RouteOptions, authorityFromHeaders: string, gatewaySemantics: boolean): void {
  const action: Json = {};
  const timeout = (route.timeout && toProtoDuration(route.timeout)) || '0s';
  if (gatewaySemantics) action.cluster_not_found_response_code = 'INTERNAL_SERVER_ERROR';
  let authority = authorityFromHeaders;
  if (route.rewrite) {
    const rw = route.rewrite;
    if (rw.uriRegexRewrite) {
      action.regex_rewrite = { pattern: { regex: rw.uriRegexRewrite.match ?? '' }, substitution: rw.uriRegexRewrite.rewrite ?? '' };
    } else if (rw.uri) {
      const sep = (out.match as Json).path_separated_prefix as string | undefined;
      if (gatewaySemantics && rw.uri === '/' && sep !== undefined) {
        action.regex_rewrite = { pattern: { regex: `^${escapeRegex(sep)}(/?)(.*)` }, substitution: '/\\2' };
      } else action.prefix_rewrite = rw.uri;
    }
    if (rw.authority) authority = rw.authority;
  }
  const mirrors: Json[] = [];
  if (route.mirror) {
    const f = mirrorFraction(route.mirrorPercentage, route.mirrorPercent, true);
    if (f) mirrors.push({ cluster: destinationCluster(route.mirror, opts.lookupService(route.mirror.host), opts.listenPort), runtime_fraction: f, trace_sampled: false });
  }
  for (const m of route.mirrors ?? []) {
    const f = mirrorFraction(m.percentage, undefined, false);
    if (f) mirrors.push({ cluster: destinationCluster(m.destination, opts.lookupService(m.destination.host), opts.listenPort), runtime_fraction: f, trace_sampled: false });
  }
  const dests = route.route ?? [];
  const hashes: Json[] = [];
  let consistentHash = false;
  const hashFor = (d: HTTPRouteDestination) => {
    const h = opts.lookupHash(d.destination);
    const policy = hashPolicy(h);
    if (policy) hashes.push(policy);
    return h !== undefined;
  };
  if (dests.length === 1 && dests[0]) {
    const d = dests[0];
    action.cluster = destinationCluster(d.destination, opts.lookupService(d.destination.host), opts.listenPort);
    if (d.headers) {
      const ops = translateHeaders(d.headers);
      applyHeaderOps(out, ops);
      if (ops.authority && !authority) authority = ops.authority;
    }
    consistentHash = hashFor(d);
  } else {
    const clusters: Json[] = [];
    for (const d of dests) {
      if (!d.weight) continue;
      const cw: Json = { name: destinationCluster(d.destination, opts.lookupService(d.destination.host), opts.listenPort), weight: d.weight };
      if (d.headers) {
        const ops = translateHeaders(d.headers);
        applyHeaderOps(cw, ops);
        if (ops.authority) cw.host_rewrite_literal = ops.authority;
      }
      hashFor(d);
      clusters.push(cw);
    }
    action.weighted_clusters = { clusters };
  }
  if (authority) action.host_rewrite_literal = authority;
  action.timeout = timeout;
  // Proxyless gRPC has no route timeout; Istio sets it as max_stream_duration.
  if (opts.grpc) action.max_stream_duration = { max_stream_duration: timeout };
  const retry = retryPolicy(route.retries ?? opts.mesh.defaultHttpRetryPolicy, consistentHash);
  if (retry) action.retry_policy = retry;
  if (mirrors.length > 0) action.request_mirror_policies = mirrors;
  if (hashes.length > 0) action.hash_policy = hashes;
  out.route = action;
}

/** Istio `GetRouteOperation`: `host:port/path` for a subset-key cluster, else `vs:port/path`. */
function routeOperation(out: Json, vsName: string, port: number): string {
  const m = out.match as Json;
  let path = '/*';
  if (typeof m.prefix === 'string') path = `${m.prefix}*`;
  else if (typeof m.path === 'string') path = m.path;
  else if (m.safe_regex) path = (m.safe_regex as Json).regex as string;
  const cluster = (out.route as Json | undefined)?.cluster;
  const key = typeof cluster === 'string' ? parseSubsetKey(cluster) : undefined;
  return key ? `${key.hostname}:${key.port}${path}` : `${vsName}:${port}${path}`;
}

/** Istio `TranslateRoute`; undefined when the match does not apply to this proxy or port. */
export function translateRoute(
  route: HTTPRoute,
  match: HTTPMatchRequest | undefined,
  vsName: string,
  gatewaySemantics: boolean,
  opts: RouteOptions,
): Json | undefined {
  if (match?.port && opts.listenPort && match.port !== opts.listenPort) return undefined;
  if (!sourceMatches(match, opts)) return undefined;
  let name = route.name ?? '';
  if (match?.name) name = `${name}.${match.name}`;
  const out: Json = { ...(name ? { name } : {}), match: translateRouteMatch(match, gatewaySemantics) };
  let authority = '';
  if (route.headers) {
    const ops = translateHeaders(route.headers);
    applyHeaderOps(out, ops);
    authority = ops.authority;
  }
  if (route.redirect) {
    const redirect = redirectAction(route.redirect, opts.listenPort, opts.isTls);
    if (redirect) out.redirect = redirect;
  } else if (route.directResponse) {
    const body = route.directResponse.body;
    out.direct_response = {
      status: route.directResponse.status,
      ...(body?.string !== undefined ? { body: { inline_string: body.string } } : body?.bytes !== undefined ? { body: { inline_bytes: body.bytes } } : {}),
    };
  } else {
    routeAction(out, route, opts, authority, gatewaySemantics);
  }
  out.decorator = { operation: routeOperation(out, vsName, opts.listenPort) };
  const perFilter: Json = {};
  if (route.fault) {
    const fault = translateFault(route.fault);
    if (fault) perFilter[FAULT_FILTER] = fault;
  }
  if (route.corsPolicy && !opts.grpc) perFilter[CORS_FILTER] = translateCors(route.corsPolicy);
  if (Object.keys(perFilter).length > 0) out.typed_per_filter_config = perFilter;
  return out;
}

/** Istio `BuildHTTPRoutesForVirtualService`: routes in order, stopping after the first catch-all. */
export function buildRoutesForVirtualService(
  http: readonly HTTPRoute[],
  vsName: string,
  gatewaySemantics: boolean,
  opts: RouteOptions,
): Json[] {
  const out: Json[] = [];
  for (const route of http) {
    let catchAll = false;
    if (!route.match || route.match.length === 0) {
      const r = translateRoute(route, undefined, vsName, gatewaySemantics, opts);
      if (r) out.push(r);
      catchAll = true;
    } else {
      for (const m of route.match) {
        const r = translateRoute(route, m, vsName, gatewaySemantics, opts);
        if (!r) continue;
        out.push(r);
        if (isCatchAllRoute(r)) {
          catchAll = true;
          break;
        }
      }
    }
    if (catchAll) break;
  }
  return out;
}

/** Istio `BuildDefaultHTTPOutboundRoute`: the `default` route to a service's cluster, no timeout, default retries. */
export function defaultOutboundRoute(cluster: string, operation: string, mesh: MeshConfig, hash: Json | undefined, grpc: boolean): Json {
  const action: Json = { cluster, timeout: '0s' };
  if (grpc) action.max_stream_duration = { max_stream_duration: '0s' };
  const retry = retryPolicy(mesh.defaultHttpRetryPolicy, false);
  if (retry) action.retry_policy = retry;
  if (hash) action.hash_policy = [hash];
  return { name: 'default', match: { prefix: '/' }, route: action, decorator: { operation } };
}

/** Istio `BuildDefaultHTTPInboundRoute`: no timeout, unlimited stream duration, retry only resets before the request reached the app. */
export function defaultInboundRoute(cluster: string, operation: string, retryEnabled: boolean): Json {
  const action: Json = {
    cluster,
    timeout: '0s',
    max_stream_duration: { max_stream_duration: '0s', grpc_timeout_header_max: '0s' },
  };
  if (retryEnabled) action.retry_policy = { retry_on: 'reset-before-request', num_retries: 2 };
  return { name: 'default', match: { prefix: '/' }, route: action, decorator: { operation } };
}
