/** Host names as Istio compares them (pkg/config/host/name.go). */

/** `*` or `*.example.com`. */
export function isWildcardHost(host: string): boolean {
  return host.startsWith('*');
}

/**
 * Istio's `ResolveShortnameToFQDN`: a name without dots is a Kubernetes short name and becomes
 * `name.<namespace>.svc.<domainSuffix>`; `*` and dotted names are kept.
 */
export function resolveShortName(host: string, namespace: string, domainSuffix = 'cluster.local'): string {
  if (host === '' || host === '*' || host.includes('.')) return host;
  return domainSuffix ? `${host}.${namespace}.svc.${domainSuffix}` : `${host}.${namespace}`;
}

/**
 * Istio `Name.Matches`: the two names overlap (equal, or one wildcard covers the other).
 * `*.foo.com` does not match `foo.com`.
 */
export function hostsOverlap(a: string, b: string): boolean {
  const aw = isWildcardHost(a);
  const bw = isWildcardHost(b);
  if (aw && bw) return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

/** Istio `Name.SubsetOf`: every name `a` covers is covered by `b`. */
export function hostSubsetOf(a: string, b: string): boolean {
  const aw = isWildcardHost(a);
  const bw = isWildcardHost(b);
  if (aw && bw) return a.length >= b.length && a.slice(1).endsWith(b.slice(1));
  if (aw) return false;
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

/**
 * Splits Istio's `namespace/host` form (Gateway servers, Sidecar egress hosts) into its parts;
 * a bare host has namespace `*`.
 */
export function splitNamespacedHost(value: string): { namespace: string; host: string } {
  const slash = value.indexOf('/');
  if (slash < 0) return { namespace: '*', host: value };
  return { namespace: value.slice(0, slash), host: value.slice(slash + 1) };
}
