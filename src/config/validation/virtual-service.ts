/** VirtualService semantic checks: istio/istio pkg/config/validation/validation.go `ValidateVirtualService` and virtualservice.go. */
import type { ConfigResource } from '../../model/config.js';
import type {
  CorsPolicy,
  Destination,
  HTTPFaultInjection,
  HTTPMatchRequest,
  HTTPRoute,
  StringMatch,
  VirtualServiceSpec,
} from '../../model/networking.js';
import type { FieldPath } from '../field-path.js';
import { hostsOverlap as hostsMatch } from '../../model/host.js';
import {
  Issues,
  isDns1123Label,
  isIpAddress,
  validateDuration,
  validateExportTo,
  validateFqdn,
  validateLabels,
  validatePercentage,
  validatePort,
  validateRegex,
  validateWeights,
  validateWildcardDomain,
} from './common.js';

const MESH = 'mesh';

/** validateGatewayNames: `namespace/name` (both DNS labels), or a plain name; `name.namespace` is legacy. */
export function validateGatewayNames(gateways: readonly string[], path: FieldPath, issues: Issues): void {
  gateways.forEach((gateway, i) => {
    const slash = gateway.indexOf('/');
    if (slash < 0) {
      if (gateway.includes('.')) {
        const [name, namespace] = gateway.split('.');
        issues.warning([...path, i], `using legacy gatewayName format "${gateway}"; prefer the <namespace>/<name> format: "${namespace}/${name}"`);
      }
      issues.error([...path, i], validateFqdn(gateway));
      return;
    }
    const namespace = gateway.slice(0, slash);
    const name = gateway.slice(slash + 1);
    if (namespace === '' || name === '') issues.error([...path, i], 'config namespace and gateway name cannot be empty');
    if (!isDns1123Label(namespace)) issues.error([...path, i], `invalid value for namespace: "${namespace}"`);
    if (!isDns1123Label(name)) issues.error([...path, i], `invalid value for gateway name: "${name}"`);
  });
}

function validateStringMatch(match: StringMatch | undefined, where: string, path: FieldPath, issues: Issues, allowEmptyPrefix = false): void {
  if (!match) return;
  if (match.prefix !== undefined && match.prefix === '' && !allowEmptyPrefix) {
    issues.error([...path, 'prefix'], `"${where}": prefix string match should not be empty`);
  }
  if (match.regex !== undefined) issues.error([...path, 'regex'], validateRegex(match.regex, where));
}

function validateMatch(match: HTTPMatchRequest, path: FieldPath, issues: Issues): void {
  for (const [name, header] of Object.entries(match.headers ?? {})) validateStringMatch(header, 'headers', [...path, 'headers', name], issues);
  for (const [name, header] of Object.entries(match.withoutHeaders ?? {})) {
    // `*` is not an RE2 regex here: it means "present" (virtualservice.go).
    if (header.regex !== '*') validateStringMatch(header, 'withoutHeaders', [...path, 'withoutHeaders', name], issues);
  }
  // uri allows an empty prefix (Envoy's route prefix), scheme/method/authority do not.
  validateStringMatch(match.uri, 'uri', [...path, 'uri'], issues, true);
  validateStringMatch(match.scheme, 'scheme', [...path, 'scheme'], issues);
  validateStringMatch(match.method, 'method', [...path, 'method'], issues);
  validateStringMatch(match.authority, 'authority', [...path, 'authority'], issues);
  for (const [name, param] of Object.entries(match.queryParams ?? {})) validateStringMatch(param, 'queryParams', [...path, 'queryParams', name], issues);
  if (match.port !== undefined && match.port !== 0) issues.error([...path, 'port'], validatePort(match.port));
  validateLabels(match.sourceLabels, [...path, 'sourceLabels'], issues);
  if (match.gateways) validateGatewayNames(match.gateways, [...path, 'gateways'], issues);
  if (match.sourceNamespace && !isDns1123Label(match.sourceNamespace)) {
    issues.error([...path, 'sourceNamespace'], `sourceNamespace match ${match.sourceNamespace} is invalid`);
  }
}

/** validateDestination. */
function validateDestination(destination: Destination | undefined, path: FieldPath, issues: Issues): void {
  if (!destination) return;
  if (destination.host === '*') issues.error([...path, 'host'], `invalid destination host ${destination.host}`);
  else issues.error([...path, 'host'], validateWildcardDomain(destination.host));
  if (destination.subset !== undefined) {
    if (destination.subset === '') issues.error([...path, 'subset'], 'subset name cannot be empty');
    else if (!isDns1123Label(destination.subset)) issues.error([...path, 'subset'], `subset name is invalid: ${destination.subset}`);
  }
  if (destination.port?.number !== undefined) issues.error([...path, 'port', 'number'], validatePort(destination.port.number));
}

function validateFault(fault: HTTPFaultInjection | undefined, path: FieldPath, issues: Issues): void {
  if (!fault) return;
  if (fault.abort) {
    validatePercentage(fault.abort.percentage?.value, [...path, 'abort', 'percentage', 'value'], issues);
    const abort = fault.abort;
    if (abort.httpStatus !== undefined) issues.error([...path, 'abort', 'httpStatus'], validateHttpStatus(abort.httpStatus));
    else if (abort.http2Error !== undefined) issues.error([...path, 'abort', 'http2Error'], 'HTTP/2 abort fault injection not supported yet');
    else if (abort.grpcStatus === undefined) issues.warning([...path, 'abort'], 'abort configured, but error type not set');
  }
  if (fault.delay) {
    validatePercentage(fault.delay.percentage?.value, [...path, 'delay', 'percentage', 'value'], issues);
    if (fault.delay.fixedDelay !== undefined) issues.error([...path, 'delay', 'fixedDelay'], validateDuration(fault.delay.fixedDelay));
    if (fault.delay.exponentialDelay !== undefined) issues.error([...path, 'delay', 'exponentialDelay'], 'exponentialDelay not supported yet');
  }
}

function validateCors(cors: CorsPolicy | undefined, path: FieldPath, issues: Issues): void {
  if (!cors) return;
  cors.allowOrigins?.forEach((origin, i) => validateStringMatch(origin, 'corsPolicy.allowOrigins', [...path, 'allowOrigins', i], issues));
  if (cors.maxAge !== undefined) issues.error([...path, 'maxAge'], validateDuration(cors.maxAge));
}

/** validateHTTPStatus (Istio's bound is 600, its message says 599). */
function validateHttpStatus(status: number): string | undefined {
  return status < 200 || status > 600 ? `HTTP status ${status} is not in range 200-599` : undefined;
}

/** validateHTTPRedirect. */
function validateRedirect(http: HTTPRoute, path: FieldPath, issues: Issues): void {
  const redirect = http.redirect;
  if (!redirect) return;
  const fail = (message: string): void => issues.error(path, message);
  if (redirect.uri && redirect.prefixRewrite) return fail('redirect may only specify one of uri or prefix_rewrite');
  if (redirect.prefixRewrite && http.match?.some((m) => m.uri !== undefined && m.uri.prefix === undefined)) {
    return fail('redirect prefix_rewrite requires all URI matches to use prefix match type');
  }
  if (!redirect.uri && !redirect.prefixRewrite && !redirect.authority && redirect.port === undefined && redirect.derivePort === undefined && !redirect.scheme) {
    return fail('redirect must specify URI, authority, scheme, or port');
  }
  if (redirect.redirectCode && (redirect.redirectCode < 300 || redirect.redirectCode > 399)) {
    return fail(`${redirect.redirectCode} is not a valid redirect code, must be 3xx`);
  }
  if (redirect.scheme && redirect.scheme !== 'http' && redirect.scheme !== 'https') return fail('invalid redirect scheme, must be "http" or "https"');
  if (redirect.port) issues.error([...path, 'port'], validatePort(redirect.port));
}

/** Envoy retry_on policies Istio accepts (agent/validation.go supportedRetryOnPolicies). */
const RETRY_ON = new Set([
  '5xx', 'gateway-error', 'reset', 'connect-failure', 'envoy-ratelimited', 'retriable-4xx', 'refused-stream',
  'retriable-status-codes', 'retriable-headers', 'reset-before-request', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);

/** agent.ValidateHTTPRetry. */
function validateRetries(http: HTTPRoute, path: FieldPath, issues: Issues): void {
  const retries = http.retries;
  if (!retries) return;
  const attempts = retries.attempts ?? 0;
  if (attempts < 0) issues.error([...path, 'attempts'], 'attempts cannot be negative');
  if (attempts === 0 && (retries.perTryTimeout !== undefined || retries.retryOn || retries.retryRemoteLocalities !== undefined)) {
    issues.error(path, 'http retry policy configured when attempts are set to 0 (disabled)');
  }
  if (retries.perTryTimeout !== undefined) issues.error([...path, 'perTryTimeout'], validateDuration(retries.perTryTimeout));
  for (const policy of retries.retryOn ? retries.retryOn.split(',') : []) {
    const code = Number(policy);
    const isStatus = /^[0-9]+$/.test(policy) && code >= 100 && code <= 599;
    if (!isStatus && !RETRY_ON.has(policy)) issues.error([...path, 'retryOn'], `"${policy}" is not a valid retryOn policy`);
  }
  if (retries.backoff !== undefined) issues.error([...path, 'backoff'], validateDuration(retries.backoff));
}

/** validateHTTPRouteConflict. */
function validateRouteConflict(http: HTTPRoute, delegate: boolean, path: FieldPath, issues: Issues): void {
  const hasRoute = (http.route?.length ?? 0) > 0;
  if (http.delegate && !delegate) {
    if (http.redirect) issues.error(path, `root HTTP route ${http.name ?? ''} must not specify redirect`);
    if (http.route) issues.error(path, `root HTTP route ${http.name ?? ''} must not specify route`);
    return;
  }
  if (delegate && http.delegate) issues.error([...path, 'delegate'], 'delegate HTTP route cannot contain delegate');
  if (http.redirect) {
    if (hasRoute) issues.error(path, 'HTTP route cannot contain both route and redirect');
    if (http.fault) issues.error(path, 'HTTP route cannot contain both fault and redirect');
    if (http.rewrite) issues.error(path, 'HTTP route rule cannot contain both rewrite and redirect');
    if (http.directResponse) issues.error(path, 'HTTP route rule cannot contain both direct_response and redirect');
  } else if (http.directResponse) {
    if (hasRoute) issues.error(path, 'HTTP route cannot contain both route and direct_response');
    if (http.fault) issues.error(path, 'HTTP route cannot contain both fault and direct_response');
    if (http.rewrite) issues.error(path, 'HTTP route rule cannot contain both rewrite and direct_response');
  } else if (!hasRoute) {
    issues.error(path, 'HTTP route, redirect or direct_response is required');
  }
  if (http.mirror && (http.mirrors?.length ?? 0) > 0) issues.error(path, 'HTTP route cannot contain both mirror and mirrors');
}

function validateHttpRoute(http: HTTPRoute, delegate: boolean, path: FieldPath, issues: Issues): void {
  validateRouteConflict(http, delegate, path, issues);
  http.match?.forEach((match, i) => validateMatch(match, [...path, 'match', i], issues));
  validateCors(http.corsPolicy, [...path, 'corsPolicy'], issues);
  validateFault(http.fault, [...path, 'fault'], issues);
  if (http.mirrorPercent !== undefined) {
    if (http.mirrorPercent > 100) issues.error([...path, 'mirrorPercent'], `mirror_percent must have a max value of 100 (it has ${http.mirrorPercent})`);
    issues.warning([...path, 'mirrorPercent'], 'using deprecated setting "mirrorPercent", use "mirrorPercentage" instead');
  }
  const mirrorPercentage = http.mirrorPercentage?.value;
  if (mirrorPercentage !== undefined && mirrorPercentage > 100) {
    issues.error([...path, 'mirrorPercentage'], `mirror_percentage must have a max value of 100 (it has ${mirrorPercentage})`);
  }
  validateDestination(http.mirror, [...path, 'mirror'], issues);
  http.mirrors?.forEach((mirror, i) => {
    validateDestination(mirror.destination, [...path, 'mirrors', i, 'destination'], issues);
    const value = mirror.percentage?.value;
    if (value !== undefined && value > 100) issues.error([...path, 'mirrors', i, 'percentage'], `mirror percentage must have a max value of 100 (it has ${value})`);
    if (value !== undefined && value < 0) issues.error([...path, 'mirrors', i, 'percentage'], `mirror percentage must have a min value of 0 (it has ${value})`);
  });
  validateRedirect(http, [...path, 'redirect'], issues);
  const direct = http.directResponse;
  if (direct) {
    issues.error([...path, 'directResponse', 'status'], validateHttpStatus(direct.status));
    const size = direct.body?.string?.length ?? direct.body?.bytes?.length ?? 0;
    if (size > 1024 * 1024) issues.error([...path, 'directResponse', 'body'], 'large direct_responses may impact control plane performance, must be less than 1MB');
    else if (size > 100 * 1024) issues.warning([...path, 'directResponse', 'body'], 'large direct_responses may impact control plane performance');
  }
  validateRetries(http, [...path, 'retries'], issues);
  const rewrite = http.rewrite;
  if (rewrite) {
    const regex = rewrite.uriRegexRewrite;
    if (rewrite.uri && regex) issues.error([...path, 'rewrite'], 'rewrite may only contain one of URI or UriRegexRewrite');
    if (!rewrite.uri && !regex && !rewrite.authority) {
      issues.error([...path, 'rewrite'], 'rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified');
    }
    if (regex) {
      if (!regex.match || !regex.rewrite) issues.error([...path, 'rewrite', 'uriRegexRewrite'], 'UriRegexRewrite requires both Rewrite and Match fields to be specified');
      else issues.error([...path, 'rewrite', 'uriRegexRewrite', 'match'], validateRegex(regex.match, 'HTTPRewrite.UriRegexRewrite.Match'));
    }
  }
  http.route?.forEach((route, i) => validateDestination(route.destination, [...path, 'route', i, 'destination'], issues));
  if (http.route) validateWeights(http.route.map((r) => r.weight), [...path, 'route'], issues);
  if (http.timeout !== undefined) issues.error([...path, 'timeout'], validateDuration(http.timeout));
}

export function validateVirtualService(resource: ConfigResource): Issues {
  const vs = (resource.spec ?? {}) as VirtualServiceSpec;
  const issues = new Issues();
  const hosts = vs.hosts ?? [];
  const gateways = vs.gateways ?? [];
  if (hosts.length === 0) {
    // A VirtualService without hosts is a delegate.
    if (gateways.length > 0) issues.error(['spec', 'gateways'], 'delegate virtual service must have no gateways specified');
    if ((vs.tls?.length ?? 0) > 0) issues.error(['spec', 'tls'], 'delegate virtual service must have no tls route specified');
    if ((vs.tcp?.length ?? 0) > 0) issues.error(['spec', 'tcp'], 'delegate virtual service must have no tcp route specified');
  }
  validateGatewayNames(gateways, ['spec', 'gateways'], issues);
  const appliesToGateway = gateways.some((g) => g !== MESH);
  const appliesToMesh = gateways.length === 0 || !appliesToGateway;
  let allHostsValid = true;
  hosts.forEach((host, i) => {
    const error = validateWildcardDomain(host);
    if (error !== undefined && !isIpAddress(host)) {
      issues.error(['spec', 'hosts', i], error);
      allHostsValid = false;
    } else if (error === undefined && appliesToMesh && host === '*') {
      issues.error(['spec', 'hosts', i], 'wildcard host * is not allowed for virtual services bound to the mesh gateway');
      allHostsValid = false;
    }
  });
  if (allHostsValid) {
    for (let i = 0; i < hosts.length; i++) {
      for (let j = i + 1; j < hosts.length; j++) {
        const a = hosts[i] ?? '';
        const b = hosts[j] ?? '';
        if (hostsMatch(a, b)) issues.error(['spec', 'hosts', j], `duplicate hosts in virtual service: ${a} & ${b}`);
      }
    }
  }
  if (!vs.http?.length && !vs.tcp?.length && !vs.tls?.length) issues.error(['spec'], 'http, tcp or tls must be provided in virtual service');
  vs.http?.forEach((http, i) => validateHttpRoute(http, hosts.length === 0, ['spec', 'http', i], issues));
  vs.tls?.forEach((tls, i) => {
    const path = ['spec', 'tls', i];
    if (!tls.match || tls.match.length === 0) issues.error([...path, 'match'], 'TLS route must have at least one match condition');
    tls.match?.forEach((match, j) => {
      if (!match.sniHosts || match.sniHosts.length === 0) issues.error([...path, 'match', j], 'TLS match must have at least one SNI host');
      match.sniHosts?.forEach((sni, k) => issues.error([...path, 'match', j, 'sniHosts', k], validateWildcardDomain(sni)));
    });
    if (!tls.route || tls.route.length === 0) issues.error([...path, 'route'], 'TLS route is required');
    tls.route?.forEach((route, j) => validateDestination(route.destination, [...path, 'route', j, 'destination'], issues));
    if (tls.route) validateWeights(tls.route.map((r) => r.weight), [...path, 'route'], issues);
  });
  vs.tcp?.forEach((tcp, i) => {
    const path = ['spec', 'tcp', i];
    if (!tcp.route || tcp.route.length === 0) issues.error([...path, 'route'], 'TCP route is required');
    tcp.route?.forEach((route, j) => validateDestination(route.destination, [...path, 'route', j, 'destination'], issues));
    if (tcp.route) validateWeights(tcp.route.map((r) => r.weight), [...path, 'route'], issues);
  });
  validateExportTo(resource.namespace, vs.exportTo, ['spec', 'exportTo'], issues);
  return issues;
}
