/**
 * RouteAction.hash_policy as Envoy's Http::HashPolicyImpl (source/common/http/hash_policy.cc):
 * policies are evaluated in order, each hash that exists is folded in with combineHash (rotate
 * and xor), and a `terminal` policy that produced a value ends the evaluation. Hashes use Skein's
 * hashString, not Envoy's xxHash64, so placements differ from Envoy's but agree across Skein.
 * - header: every value (after the optional regex_rewrite), sorted so order does not matter;
 * - cookie: the cookie's value; generating a cookie (ttl) is not implemented;
 * - connection_properties.source_ip: the downstream IP;
 * - query_parameter: the parameter's first value, undecoded.
 */

import { combineHash, hashString } from '../../lib/hash.js';
import type { _envoy_config_route_v3_RouteAction_HashPolicy__Output as HashPolicy__Output } from '../../xds/generated/envoy/config/route/v3/RouteAction.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { asciiLower } from '../matchers/ascii.js';
import { checkHeaderName } from '../matchers/field-checks.js';
import { parseQueryFirstValues } from '../matchers/query-string.js';
import { compileSubstitution, type Substitution } from '../matchers/regex-substitution.js';
import { cookieValue } from './cookies.js';
import { allHeaders } from './headers.js';
import { requestHeaderValue } from './request-view.js';
import type { RouteRequest } from './types.js';

type HashMethod = (req: RouteRequest) => number | undefined;

interface CompiledPolicy {
  readonly method: HashMethod;
  readonly terminal: boolean;
}

const POLICY = 'envoy.config.route.v3.RouteAction.HashPolicy';

export function compileHashPolicies(
  policies: readonly HashPolicy__Output[],
  path: FieldPath,
  errors: ConfigError[],
): ((req: RouteRequest) => number | undefined) | undefined {
  const compiled: CompiledPolicy[] = [];
  const before = errors.length;
  policies.forEach((policy, i) => {
    const method = compileMethod(policy, [...path, i], errors);
    if (method) compiled.push({ method, terminal: policy.terminal });
  });
  if (errors.length > before) return undefined;
  return (req) => {
    let hash: number | undefined;
    for (const policy of compiled) {
      const next = policy.method(req);
      if (next !== undefined) hash = hash === undefined ? next : combineHash(hash, next);
      if (policy.terminal && hash !== undefined) break;
    }
    return hash;
  };
}

function compileMethod(
  policy: HashPolicy__Output,
  path: FieldPath,
  errors: ConfigError[],
): HashMethod | undefined {
  checkSupported(
    POLICY,
    policy,
    ['header', 'cookie', 'connection_properties', 'query_parameter', 'terminal'],
    path,
    errors,
  );
  switch (policy.policy_specifier) {
    case 'header': {
      const header = policy.header!;
      const headerPath = [...path, 'header'];
      checkSupported(`${POLICY}.Header`, header, ['header_name', 'regex_rewrite'], headerPath, errors);
      if (!checkHeaderName(header.header_name, [...headerPath, 'header_name'], errors)) return undefined;
      let rewrite: Substitution | undefined;
      if (header.regex_rewrite) {
        rewrite = compileSubstitution(header.regex_rewrite, [...headerPath, 'regex_rewrite'], errors);
        if (!rewrite) return undefined;
      }
      return headerHash(asciiLower(header.header_name), rewrite);
    }
    case 'cookie': {
      const cookie = policy.cookie!;
      // Only reading the cookie is implemented; ttl/path/attributes would make Envoy set one.
      checkSupported(`${POLICY}.Cookie`, cookie, ['name'], [...path, 'cookie'], errors);
      if (cookie.name === '') {
        errors.push({ path: [...path, 'cookie', 'name'], message: 'must not be empty' });
        return undefined;
      }
      const name = cookie.name;
      return (req) => {
        const value = cookieValue(req.headers, name);
        return value ? hashString(value) : undefined;
      };
    }
    case 'connection_properties': {
      checkSupported(
        `${POLICY}.ConnectionProperties`,
        policy.connection_properties!,
        ['source_ip'],
        [...path, 'connection_properties'],
        errors,
      );
      // source_ip: false adds no hash method at all (HashPolicyImpl's constructor).
      if (!policy.connection_properties!.source_ip) return () => undefined;
      return (req) => (req.sourceAddress ? hashString(req.sourceAddress) : undefined);
    }
    case 'query_parameter': {
      const name = policy.query_parameter!.name;
      if (name === '') {
        errors.push({ path: [...path, 'query_parameter', 'name'], message: 'must not be empty' });
        return undefined;
      }
      return (req) => {
        const value = parseQueryFirstValues(req.path).get(name);
        return value === undefined ? undefined : hashString(value);
      };
    }
    default:
      if (policy.policy_specifier === undefined)
        errors.push({ path, message: 'one hash policy specifier is required' });
      return undefined; // filter_state is reported by checkSupported
  }
}

function headerHash(name: string, rewrite: Substitution | undefined): HashMethod {
  return (req) => {
    const values = isPseudo(name) ? pseudoValues(req, name) : allHeaders(req.headers, name);
    if (values.length === 0) return undefined;
    const hashed = rewrite ? values.map(rewrite) : values;
    hashed.sort();
    // Like xxHash64 over a span: each value seeds the next.
    let hash: number | undefined;
    for (const value of hashed) hash = hash === undefined ? hashString(value) : hashString(value, hash);
    return hash;
  };
}

/** Pseudo-headers (and host, which Envoy keeps as :authority) come from the request line. */
function isPseudo(name: string): boolean {
  return name.startsWith(':') || name === 'host';
}

function pseudoValues(req: RouteRequest, name: string): string[] {
  const value = requestHeaderValue(req, name);
  return value === undefined ? [] : [value];
}
