/**
 * RouteAction (forwarding to a cluster) compiled for the router filter: cluster choice, path and
 * host rewrites, timeouts and the hash for consistent-hash load balancing. Fields that later
 * filters implement (retry, mirroring, CORS, rate limits) are accepted and left in `raw`.
 */

import { durationMs } from '../../xds/duration.js';
import type { RouteAction__Output } from '../../xds/generated/envoy/config/route/v3/RouteAction.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { asciiLower } from '../matchers/ascii.js';
import { checkHeaderName, checkHeaderValue } from '../matchers/field-checks.js';
import { compileSubstitution } from '../matchers/regex-substitution.js';
import { compileHashPolicies } from './hash-policy.js';
import { compileMirrorPolicies } from './mirror-policy.js';
import { compileRetryPolicy } from './retry-policy.js';
import { firstHeader } from './headers.js';
import { type PathRewriter, prefixRewriter, regexRewriter } from './path-rewrite.js';
import { DEFERRED_ROUTE_ACTION_FIELDS } from './supported-fields.js';
import type { ClusterTarget, ForwardAction, HostRewrite, RouteRequest } from './types.js';
import { compileWeightedClusters } from './weighted-clusters.js';

/** Envoy's DEFAULT_ROUTE_TIMEOUT_MS. */
export const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;

const SUPPORTED = [
  'cluster',
  'cluster_header',
  'weighted_clusters',
  'prefix_rewrite',
  'regex_rewrite',
  'host_rewrite_literal',
  'auto_host_rewrite',
  'host_rewrite_header',
  'timeout',
  'idle_timeout',
  'hash_policy',
  'retry_policy',
  'request_mirror_policies',
  'max_stream_duration',
  'cluster_not_found_response_code',
  ...DEFERRED_ROUTE_ACTION_FIELDS,
] as const;

export function compileForwardAction(
  action: RouteAction__Output,
  matchedLength: number | 'whole-path',
  path: FieldPath,
  errors: ConfigError[],
): ForwardAction | undefined {
  const before = errors.length;
  checkSupported('envoy.config.route.v3.RouteAction', action, SUPPORTED, path, errors);
  const pickTarget = compileClusterSpecifier(action, path, errors);
  const rewritePath = compilePathRewrite(action, matchedLength, path, errors);
  const hostRewrite = compileHostRewrite(action, path, errors);
  const hash =
    action.hash_policy.length > 0
      ? compileHashPolicies(action.hash_policy, [...path, 'hash_policy'], errors)
      : undefined;
  const retryPolicy = action.retry_policy
    ? compileRetryPolicy(action.retry_policy, [...path, 'retry_policy'], errors)
    : undefined;
  const mirrorPolicies = compileMirrorPolicies(
    action.request_mirror_policies,
    [...path, 'request_mirror_policies'],
    errors,
  );
  const maxStreamDuration = action.max_stream_duration;
  if (maxStreamDuration) {
    checkSupported(
      'envoy.config.route.v3.RouteAction.MaxStreamDuration',
      maxStreamDuration,
      ['max_stream_duration', 'grpc_timeout_header_max'],
      [...path, 'max_stream_duration'],
      errors,
    );
  }
  if (errors.length > before || !pickTarget) return undefined;

  return {
    kind: 'forward',
    pickTarget,
    pickCluster: (req) => pickTarget(req)?.name,
    rewritePath: rewritePath ? (req) => rewritePath(req.path) : (req) => req.path,
    hostRewrite,
    timeoutMs: durationMs(action.timeout, DEFAULT_ROUTE_TIMEOUT_MS),
    idleTimeoutMs: action.idle_timeout ? durationMs(action.idle_timeout, 0) : undefined,
    maxStreamDurationMs: maxStreamDuration?.max_stream_duration
      ? durationMs(maxStreamDuration.max_stream_duration, 0)
      : undefined,
    grpcTimeoutHeaderMaxMs: maxStreamDuration?.grpc_timeout_header_max
      ? durationMs(maxStreamDuration.grpc_timeout_header_max, 0)
      : undefined,
    retryPolicy,
    mirrorPolicies,
    hash: hash ?? (() => undefined),
    raw: action,
  };
}

function compileClusterSpecifier(
  action: RouteAction__Output,
  path: FieldPath,
  errors: ConfigError[],
): ((req: RouteRequest) => ClusterTarget | undefined) | undefined {
  switch (action.cluster_specifier) {
    case 'cluster': {
      const name = action.cluster ?? '';
      if (name === '') {
        errors.push({ path: [...path, 'cluster'], message: 'must not be empty' });
        return undefined;
      }
      const target: ClusterTarget = { name };
      return () => target;
    }
    case 'cluster_header': {
      const header = action.cluster_header ?? '';
      if (!checkHeaderName(header, [...path, 'cluster_header'], errors)) return undefined;
      const lower = asciiLower(header);
      // Only the first value counts: the header is untrusted input (route_components.proto).
      return (req) => {
        const name = firstHeader(req.headers, lower);
        return name ? { name } : undefined;
      };
    }
    case 'weighted_clusters':
      return action.weighted_clusters
        ? compileWeightedClusters(action.weighted_clusters, [...path, 'weighted_clusters'], errors)
        : undefined;
    default:
      if (action.cluster_specifier === undefined) {
        errors.push({ path, message: 'one of cluster, cluster_header or weighted_clusters is required' });
      }
      return undefined; // cluster specifier plugins are reported by checkSupported
  }
}

function compilePathRewrite(
  action: RouteAction__Output,
  matchedLength: number | 'whole-path',
  path: FieldPath,
  errors: ConfigError[],
): PathRewriter | undefined {
  if (action.prefix_rewrite !== '' && action.regex_rewrite) {
    errors.push({
      path: [...path, 'regex_rewrite'],
      message: 'specify only one of prefix_rewrite and regex_rewrite',
    });
    return undefined;
  }
  if (action.prefix_rewrite !== '') {
    if (!checkHeaderValue(action.prefix_rewrite, [...path, 'prefix_rewrite'], errors)) return undefined;
    return prefixRewriter(action.prefix_rewrite, matchedLength);
  }
  if (action.regex_rewrite) {
    const substitute = compileSubstitution(action.regex_rewrite, [...path, 'regex_rewrite'], errors);
    return substitute ? regexRewriter(substitute) : undefined;
  }
  return undefined;
}

function compileHostRewrite(
  action: RouteAction__Output,
  path: FieldPath,
  errors: ConfigError[],
): HostRewrite | undefined {
  switch (action.host_rewrite_specifier) {
    case 'host_rewrite_literal': {
      const value = action.host_rewrite_literal ?? '';
      if (!checkHeaderValue(value, [...path, 'host_rewrite_literal'], errors)) return undefined;
      return value === '' ? undefined : { kind: 'literal', value };
    }
    case 'auto_host_rewrite':
      return action.auto_host_rewrite?.value ? { kind: 'auto' } : undefined;
    case 'host_rewrite_header': {
      const name = action.host_rewrite_header ?? '';
      if (name === '') return undefined;
      if (!checkHeaderName(name, [...path, 'host_rewrite_header'], errors)) return undefined;
      return { kind: 'header', name: asciiLower(name) };
    }
    default:
      return undefined; // host_rewrite_path_regex is reported by checkSupported
  }
}
