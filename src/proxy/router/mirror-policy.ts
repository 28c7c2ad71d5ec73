/**
 * route.v3.RouteAction.RequestMirrorPolicy compiled for the router: the shadow cluster (by name
 * or from a request header), the share of requests mirrored, and whether `-shadow` is appended
 * to the host. Mirrors are fire-and-forget: their responses are discarded.
 */
import type { _envoy_config_route_v3_RouteAction_RequestMirrorPolicy__Output as RequestMirrorPolicy } from '../../xds/generated/envoy/config/route/v3/RouteAction.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import { asciiLower } from '../matchers/ascii.js';
import { checkHeaderName } from '../matchers/field-checks.js';
import { firstHeader } from './headers.js';
import { compileRuntimeFraction } from './route-match.js';

export interface CompiledMirrorPolicy {
  /** The shadow cluster for this request; undefined when cluster_header is absent. */
  cluster(headers: readonly string[]): string | undefined;
  /** Whether this request is mirrored, given a uniform random in [0, 1). */
  sampled(random: number): boolean;
  readonly appendShadowSuffix: boolean;
}

const SUPPORTED = ['cluster', 'cluster_header', 'runtime_fraction', 'trace_sampled', 'disable_shadow_host_suffix_append'] as const;

export function compileMirrorPolicies(
  policies: readonly RequestMirrorPolicy[],
  path: FieldPath,
  errors: ConfigError[],
): CompiledMirrorPolicy[] {
  const compiled: CompiledMirrorPolicy[] = [];
  policies.forEach((policy, i) => {
    const one = compileMirrorPolicy(policy, [...path, i], errors);
    if (one) compiled.push(one);
  });
  return compiled;
}

function compileMirrorPolicy(
  policy: RequestMirrorPolicy,
  path: FieldPath,
  errors: ConfigError[],
): CompiledMirrorPolicy | undefined {
  const before = errors.length;
  checkSupported('envoy.config.route.v3.RouteAction.RequestMirrorPolicy', policy, SUPPORTED, path, errors);
  let cluster: CompiledMirrorPolicy['cluster'] | undefined;
  if (policy.cluster !== '' && policy.cluster_header !== '') {
    errors.push({ path: [...path, 'cluster_header'], message: 'specify only one of cluster and cluster_header' });
  } else if (policy.cluster !== '') {
    const name = policy.cluster;
    cluster = () => name;
  } else if (policy.cluster_header !== '') {
    if (checkHeaderName(policy.cluster_header, [...path, 'cluster_header'], errors)) {
      const header = asciiLower(policy.cluster_header);
      cluster = (headers) => firstHeader(headers, header);
    }
  } else {
    errors.push({ path, message: 'one of cluster or cluster_header is required' });
  }
  // Without runtime_fraction every request is mirrored (route_components.proto).
  const sampled = policy.runtime_fraction
    ? compileRuntimeFraction(policy.runtime_fraction, [...path, 'runtime_fraction'], errors)
    : () => true;
  if (errors.length > before || !cluster || !sampled) return undefined;
  return { cluster, sampled, appendShadowSuffix: !policy.disable_shadow_host_suffix_append };
}

/** Envoy's shadow host: `-shadow` appended to the host name, before any port ("foo:8080" → "foo-shadow:8080"). */
export function shadowAuthority(authority: string): string {
  const colon = authority.lastIndexOf(':');
  const bracket = authority.lastIndexOf(']');
  if (colon > bracket && colon !== -1) return `${authority.slice(0, colon)}-shadow${authority.slice(colon)}`;
  return `${authority}-shadow`;
}
