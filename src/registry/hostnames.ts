/**
 * Host name resolution for registries and config: Istio expands a name without dots relative to
 * the namespace of the config that wrote it (`reviews` in `default` →
 * `reviews.default.svc.cluster.local`, the suffix being MeshConfig's domain suffix). A name with
 * a dot is taken as fully qualified and never expanded, so `reviews.prod` means the DNS name
 * `reviews.prod`, not `reviews.prod.svc.cluster.local` (istio.io VirtualService `hosts` docs;
 * pilot/pkg/model/config.go `ResolveShortnameToFQDN`).
 */
import { resolveShortName } from '../model/host.js';
import type { MeshConfig } from '../model/mesh-config.js';

export function resolveHostname(host: string, namespace: string, mesh?: Pick<MeshConfig, 'domainSuffix'>): string {
  return resolveShortName(host, namespace, mesh?.domainSuffix ?? 'cluster.local');
}

/** The FQDN of a Kubernetes-style service: `name.namespace.svc.<domainSuffix>`. */
export function kubernetesHostname(name: string, namespace: string, mesh?: Pick<MeshConfig, 'domainSuffix'>): string {
  return `${name}.${namespace}.svc.${mesh?.domainSuffix ?? 'cluster.local'}`;
}
