/**
 * Istio's MeshConfig (istio/api mesh/v1alpha1/config.proto), the fields Skein uses, with the
 * defaults of pkg/config/mesh/mesh.go `DefaultMeshConfig` / `DefaultProxyConfig` verbatim.
 */
import type { HTTPRetry, LocalityLoadBalancerSetting } from './networking.js';

export type OutboundTrafficPolicyMode = 'ALLOW_ANY' | 'REGISTRY_ONLY';

export interface ProxyConfig {
  /** Istio default 45s. */
  readonly drainDuration: string;
  /** Istio default 5s. */
  readonly terminationDrainDuration: string;
  /** Istio default 15000. */
  readonly proxyAdminPort: number;
  /** Istio default 15020. */
  readonly statusPort: number;
  /** Istio default `istiod.istio-system.svc:15012`. */
  readonly discoveryAddress: string;
  /** Istio default `istio-proxy`. */
  readonly serviceCluster: string;
  /** Istio default 189. */
  readonly statNameLength: number;
}

export interface MeshConfig {
  /** Istio default `istio-system`: config here applies mesh-wide. */
  readonly rootNamespace: string;
  /** Istio default `cluster.local`: SPIFFE trust domain. */
  readonly trustDomain: string;
  /** Kubernetes DNS suffix, `cluster.local`; short names become `name.ns.svc.<domainSuffix>`. */
  readonly domainSuffix: string;
  /** Istio default on. */
  readonly enableAutoMtls: boolean;
  readonly enableTracing: boolean;
  readonly outboundTrafficPolicy: { readonly mode: OutboundTrafficPolicyMode };
  /** Istio default 10s: cluster connect_timeout unless a DestinationRule sets one. */
  readonly connectTimeout: string;
  /** Istio default 15001. */
  readonly proxyListenPort: number;
  /** Istio default 15006. */
  readonly proxyInboundListenPort: number;
  /** Istio default 0 (disabled): the sidecar HTTP proxy port; node metadata HTTP_PROXY_PORT overrides it per proxy. */
  readonly proxyHttpPort: number;
  /** Istio default 0s (no protocol sniffing timeout). */
  readonly protocolDetectionTimeout: string;
  /** Istio default 60s. */
  readonly dnsRefreshRate: string;
  /** Istio default `{enabled: true}`. */
  readonly localityLbSetting: LocalityLoadBalancerSetting;
  /** Unset by default: routes without `retries` then get Istio's code default (2 attempts). */
  readonly defaultHttpRetryPolicy?: HTTPRetry;
  readonly defaultServiceExportTo: readonly string[];
  readonly defaultVirtualServiceExportTo: readonly string[];
  readonly defaultDestinationRuleExportTo: readonly string[];
  /** Istio default `istio-ingressgateway`. */
  readonly ingressService: string;
  /** Istio default `istio`. */
  readonly ingressClass: string;
  readonly accessLogFile: string;
  readonly accessLogEncoding: 'TEXT' | 'JSON';
  readonly accessLogFormat: string;
  readonly defaultConfig: ProxyConfig;
}

export const DEFAULT_PROXY_CONFIG: ProxyConfig = {
  drainDuration: '45s',
  terminationDrainDuration: '5s',
  proxyAdminPort: 15000,
  statusPort: 15020,
  discoveryAddress: 'istiod.istio-system.svc:15012',
  serviceCluster: 'istio-proxy',
  statNameLength: 189,
};

export const DEFAULT_MESH_CONFIG: MeshConfig = {
  rootNamespace: 'istio-system',
  trustDomain: 'cluster.local',
  domainSuffix: 'cluster.local',
  enableAutoMtls: true,
  enableTracing: true,
  outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
  connectTimeout: '10s',
  proxyListenPort: 15001,
  proxyInboundListenPort: 15006,
  proxyHttpPort: 0,
  protocolDetectionTimeout: '0s',
  dnsRefreshRate: '60s',
  localityLbSetting: { enabled: true },
  defaultServiceExportTo: ['*'],
  defaultVirtualServiceExportTo: ['*'],
  defaultDestinationRuleExportTo: ['*'],
  ingressService: 'istio-ingressgateway',
  ingressClass: 'istio',
  accessLogFile: '',
  accessLogEncoding: 'TEXT',
  accessLogFormat: '',
  defaultConfig: DEFAULT_PROXY_CONFIG,
};

/** A mesh config with the given fields over Istio's defaults (one level deep for nested objects). */
export function meshConfigWithDefaults(overrides: Partial<MeshConfig> = {}): MeshConfig {
  return {
    ...DEFAULT_MESH_CONFIG,
    ...overrides,
    defaultConfig: { ...DEFAULT_PROXY_CONFIG, ...overrides.defaultConfig },
  };
}
