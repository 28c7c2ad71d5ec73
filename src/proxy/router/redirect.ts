/**
 * RedirectAction as Envoy's Http::Utility::newUri plus the redirect path rewrite
 * (source/common/http/utility.cc, config_impl.cc):
 * - scheme: scheme_redirect, else https when https_redirect, else the request's;
 * - host: host_redirect, else the request's host, losing its port when port_redirect is set or
 *   when the scheme changes and the port was the old scheme's default (:80 / :443);
 * - path: path_redirect (keeping the request's query unless path_redirect has its own), or the
 *   request path after prefix_rewrite / regex_rewrite;
 * - strip_query drops the query unless it came from path_redirect.
 */
import type { RedirectAction__Output } from '../../xds/generated/envoy/config/route/v3/RedirectAction.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { checkHeaderValue } from '../matchers/field-checks.js';
import { compileSubstitution } from '../matchers/regex-substitution.js';
import { type PathRewriter, prefixRewriter, regexRewriter } from './path-rewrite.js';
import type { RedirectAction, RouteRequest } from './types.js';

const STATUS: Readonly<Record<string, number>> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

const SUPPORTED = [
  'host_redirect',
  'path_redirect',
  'response_code',
  'https_redirect',
  'prefix_rewrite',
  'strip_query',
  'scheme_redirect',
  'port_redirect',
  'regex_rewrite',
] as const;

export function compileRedirect(
  redirect: RedirectAction__Output,
  matchedLength: number | 'whole-path',
  path: FieldPath,
  errors: ConfigError[],
): RedirectAction | undefined {
  const before = errors.length;
  checkSupported('envoy.config.route.v3.RedirectAction', redirect, SUPPORTED, path, errors);
  const status = STATUS[redirect.response_code];
  if (status === undefined)
    errors.push({
      path: [...path, 'response_code'],
      message: `unknown response_code ${String(redirect.response_code)}`,
    });
  for (const field of ['host_redirect', 'path_redirect', 'prefix_rewrite'] as const) {
    const value = redirect[field];
    if (value !== undefined) checkHeaderValue(value, [...path, field], errors);
  }
  if (redirect.port_redirect > 65535)
    errors.push({ path: [...path, 'port_redirect'], message: 'must be a port number' });

  let rewritePath: PathRewriter | undefined;
  if (redirect.path_rewrite_specifier === 'prefix_rewrite' && redirect.prefix_rewrite) {
    rewritePath = prefixRewriter(redirect.prefix_rewrite, matchedLength);
  } else if (redirect.path_rewrite_specifier === 'regex_rewrite' && redirect.regex_rewrite) {
    const substitute = compileSubstitution(redirect.regex_rewrite, [...path, 'regex_rewrite'], errors);
    if (substitute) rewritePath = regexRewriter(substitute);
  }
  if (errors.length > before || status === undefined) return undefined;

  const schemeRedirect = redirect.scheme_redirect ?? '';
  const httpsRedirect = redirect.https_redirect ?? false;
  const hostRedirect = redirect.host_redirect;
  const portRedirect = redirect.port_redirect ? `:${redirect.port_redirect}` : '';
  const pathRedirect = redirect.path_redirect ?? '';
  const pathRedirectHasQuery = pathRedirect.includes('?');
  const stripQuery = redirect.strip_query;

  return {
    kind: 'redirect',
    redirect(req: RouteRequest) {
      const scheme = schemeRedirect !== '' ? schemeRedirect : httpsRedirect ? 'https' : req.scheme;
      const host = hostRedirect !== '' ? hostRedirect : requestHost(req, scheme, portRedirect);
      let finalPath: string;
      if (pathRedirect !== '') {
        const query = req.path.indexOf('?');
        finalPath = pathRedirectHasQuery || query < 0 ? pathRedirect : pathRedirect + req.path.slice(query);
      } else {
        finalPath = rewritePath ? rewritePath(req.path) : req.path;
      }
      if (!finalPath.startsWith('/')) finalPath = `/${finalPath}`;
      if (stripQuery && !pathRedirectHasQuery) {
        const query = finalPath.indexOf('?');
        if (query >= 0) finalPath = finalPath.slice(0, query);
      }
      return { status, location: `${scheme}://${host}${portRedirect}${finalPath}` };
    },
  };
}

/** processRequestHost: drop the port for port_redirect, or when it was the old scheme's default. */
function requestHost(req: RouteRequest, newScheme: string, newPort: string): string {
  const host = req.authority;
  if (host === '') return host;
  const portStart = host.startsWith('[') ? portAfterBracket(host) : host.lastIndexOf(':');
  if (portStart < 0) return host;
  const port = host.slice(portStart);
  let removePort = newPort !== '';
  if (newScheme !== req.scheme) {
    removePort ||= (req.scheme === 'https' && port === ':443') || (req.scheme === 'http' && port === ':80');
  }
  return removePort ? host.slice(0, portStart) : host;
}

function portAfterBracket(host: string): number {
  const index = host.lastIndexOf(']:');
  return index < 0 ? -1 : index + 1;
}
