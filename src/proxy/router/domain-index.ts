/**
 * Virtual host selection by Host header, as Envoy's RouteMatcher::findVirtualHost
 * (source/common/router/config_impl.cc): lower-cased exact domains first (one Map lookup), then
 * suffix wildcards `*.foo.com` / `*-bar.foo.com` longest first, then prefix wildcards `foo.*`
 * longest first, then `*`. A wildcard must match at least one character, and a domain with a
 * port only matches a Host with that port (unless ignore_port_in_host_matching).
 */
import { asciiLower } from '../matchers/ascii.js';

interface WildcardBucket<T> {
  readonly length: number;
  readonly byText: Map<string, T>;
}

export class DomainIndex<T> {
  private readonly exact = new Map<string, T>();
  private readonly suffixes: WildcardBucket<T>[] = [];
  private readonly prefixes: WildcardBucket<T>[] = [];
  private fallback: T | undefined;
  private readonly ignorePort: boolean;

  constructor(ignorePort: boolean) {
    this.ignorePort = ignorePort;
  }

  /** Returns an error message when the domain repeats one already added (Envoy rejects those). */
  add(domain: string, value: T): string | undefined {
    const lower = asciiLower(domain);
    if (lower === '*') {
      if (this.fallback !== undefined) return "only one virtual host may have the domain '*'";
      this.fallback = value;
      return undefined;
    }
    let added: boolean;
    if (lower.startsWith('*')) added = addWildcard(this.suffixes, lower.slice(1), value);
    else if (lower.endsWith('*')) added = addWildcard(this.prefixes, lower.slice(0, -1), value);
    else {
      added = !this.exact.has(lower);
      if (added) this.exact.set(lower, value);
    }
    return added ? undefined : `duplicate domain '${lower}': domains must be unique across virtual hosts`;
  }

  find(authority: string): T | undefined {
    // Fast path: with only '*', every request (even one without Host) gets it.
    if (this.exact.size === 0 && this.suffixes.length === 0 && this.prefixes.length === 0)
      return this.fallback;
    if (authority === '') return undefined; // no Host: Envoy finds no virtual host
    const raw = this.ignorePort ? withoutPort(authority) : authority;
    // Keys are lower-case, so a hit on the raw host is already the right one; lower it only on a miss.
    const direct = this.exact.get(raw);
    if (direct !== undefined) return direct;
    const host = asciiLower(raw);
    const exact = host === raw ? undefined : this.exact.get(host);
    if (exact !== undefined) return exact;
    for (const bucket of this.suffixes) {
      if (bucket.length >= host.length) continue; // '*.foo.com' must not match '.foo.com'
      const found = bucket.byText.get(host.slice(host.length - bucket.length));
      if (found !== undefined) return found;
    }
    for (const bucket of this.prefixes) {
      if (bucket.length >= host.length) continue;
      const found = bucket.byText.get(host.slice(0, bucket.length));
      if (found !== undefined) return found;
    }
    return this.fallback;
  }
}

function addWildcard<T>(buckets: WildcardBucket<T>[], text: string, value: T): boolean {
  let bucket = buckets.find((b) => b.length === text.length);
  if (!bucket) {
    bucket = { length: text.length, byText: new Map() };
    buckets.push(bucket);
    buckets.sort((a, b) => b.length - a.length); // longest wildcard first
  }
  if (bucket.byText.has(text)) return false;
  bucket.byText.set(text, value);
  return true;
}

/** HeaderUtility::getPortStart: the last ':' unless it is inside an IPv6 literal's brackets. */
export function withoutPort(host: string): string {
  const colon = host.lastIndexOf(':');
  if (colon < 0) return host;
  const bracket = host.lastIndexOf(']');
  return bracket < 0 || bracket < colon ? host.slice(0, colon) : host;
}
