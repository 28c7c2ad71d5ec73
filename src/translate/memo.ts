/**
 * Sharing generated resources between proxies that would get identical output, as Istio's XDS
 * cache does. A key must name every proxy attribute the output depends on (a missed input would
 * hand one proxy another's config), so each type has its own key builder next to the code that
 * reads those attributes. Cached values live as long as their snapshot.
 */
import type { Proxy } from '../model/index.js';
import type { PushContext } from './push-context.js';

const caches = new WeakMap<PushContext, Map<string, unknown>>();

export function memoized<T>(push: PushContext, key: string, build: () => T): T {
  let cache = caches.get(push);
  if (!cache) caches.set(push, (cache = new Map()));
  if (cache.has(key)) return cache.get(key) as T;
  const value = build();
  cache.set(key, value);
  return value;
}

function labelsKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k] ?? ''}`)
    .join(',');
}

/**
 * What every generator reads: proxy type and generator, namespace (visibility, Sidecar,
 * DestinationRule lookup), labels (Sidecar and DestinationRule selectors, sourceLabels matches,
 * gateway selection) and DNS domain (short host names).
 */
export function scopeKey(proxy: Proxy): string {
  return [proxy.type, proxy.generator ?? '', proxy.namespace, labelsKey(proxy.labels), proxy.dnsDomain].join('|');
}

/** Route configs also differ by capture mode (http-proxy's allow_any) and HTTP proxy port (route names). */
export function routesKey(proxy: Proxy, names: readonly string[] | undefined): string {
  return ['rds', scopeKey(proxy), proxy.captureMode, proxy.httpProxyPort, (names ?? []).join(',')].join('#');
}

/** Endpoints also depend on the proxy's locality (failover priorities, distribute weights). */
export function endpointsKey(proxy: Proxy, names: readonly string[] | undefined): string {
  const l = proxy.locality;
  return ['eds', scopeKey(proxy), `${l.region}/${l.zone}/${l.subzone}`, (names ?? []).join(',')].join('#');
}

/** Outbound clusters also depend on locality (DNS load assignments) and the IP family (DNS lookup family). */
export function outboundClustersKey(proxy: Proxy, ipv6Only: boolean): string {
  const l = proxy.locality;
  return ['cds-outbound', scopeKey(proxy), `${l.region}/${l.zone}/${l.subzone}`, ipv6Only].join('#');
}
