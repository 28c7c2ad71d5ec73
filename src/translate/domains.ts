/**
 * The domain names a sidecar virtual host answers to (Istio httproute.go
 * `generateVirtualHostDomains`, `GenerateAltVirtualHosts`): the FQDN, its absolute form with a
 * trailing dot, the short forms a Kubernetes client in the proxy's namespace or another may use
 * (`reviews`, `reviews.default`, `reviews.default.svc`), and the service VIPs; each with `:port`
 * unless the route config ignores ports (Istio: sidecars set ignore_port_in_host_matching and
 * leave the port out, except for the HTTP proxy route and proxyless gRPC).
 */
import type { Service } from '../model/index.js';
import { domainName } from './names.js';

/** Port 0 means "no port suffix". */
function withPort(domains: string[], domain: string, port: number): void {
  const d = domain.includes(':') ? `[${domain}]` : domain;
  domains.push(d);
  if (port !== 0) domains.push(domainName(domain, port));
}

/** Istio `generateAltVirtualHostsForKubernetesService`. */
function kubernetesAltHosts(hostname: string, port: number, proxyDomain: string): string[] {
  const proxyNs = proxyDomain.slice(0, proxyDomain.indexOf('.svc.'));
  const ih = hostname.indexOf('.svc.');
  if (ih <= 0) return [];
  const ns = hostname.indexOf('.');
  if (ns + 1 >= hostname.length || ns + 1 > ih) return [];
  const out: string[] = [];
  const short = hostname.slice(0, ns);
  const nameNs = hostname.slice(0, ih);
  if (hostname.slice(ns + 1, ih) === proxyNs) withPort(out, short, port);
  withPort(out, `${nameNs}.svc`, port);
  withPort(out, nameNs, port);
  // Istio's order for the same namespace: short, name.ns.svc, name.ns; else name.ns, name.ns.svc.
  return hostname.slice(ns + 1, ih) === proxyNs ? out : [...out.slice(port ? 2 : 1), ...out.slice(0, port ? 2 : 1)];
}

/** Istio `GenerateAltVirtualHosts`. */
export function altVirtualHosts(hostname: string, port: number, proxyDomain: string): string[] {
  const out: string[] = [];
  // PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN (default on): `host.` and `host.:port`.
  if (!/^[\d.]+$/.test(hostname) && !hostname.includes(':')) out.push(`${hostname}.`);
  if (port !== 0) out.push(domainName(`${hostname}.`, port));
  const svcAt = proxyDomain.indexOf('.svc.');
  if (svcAt >= 0) {
    if (hostname.endsWith(proxyDomain.slice(svcAt))) out.push(...kubernetesAltHosts(hostname, port, proxyDomain));
    return out;
  }
  // Non-Kubernetes proxy domains: the part of the host not shared with the proxy's domain.
  const h = hostname.split('.').reverse();
  const p = proxyDomain.split('.').reverse();
  let shared = 0;
  while (shared < Math.min(h.length, p.length) && h[shared] === p[shared]) shared++;
  if (shared === 0) return out;
  const unique = h.slice(shared).reverse();
  withPort(out, unique.join('.'), port);
  if (unique.length === 2) withPort(out, `${unique.join('.')}.${p[shared - 1] ?? ''}`, port);
  return out;
}

/** Domains of a service's virtual host, and which of them are alternate (short) forms. */
export function virtualHostDomains(service: Service, port: number, proxyDomain: string): { domains: string[]; altHosts: string[] } {
  const domains: string[] = [];
  withPort(domains, service.hostname, port);
  const altHosts = altVirtualHosts(service.hostname, port, proxyDomain);
  domains.push(...altHosts);
  // Headless Kubernetes services also answer for pod subdomains.
  if (service.resolution === 'NONE' && service.registry === 'Kubernetes') {
    for (const d of [...domains]) domains.push(`*.${d}`);
  }
  for (const vip of service.addresses) if (vip && vip !== '0.0.0.0') withPort(domains, vip, port);
  return { domains, altHosts };
}
