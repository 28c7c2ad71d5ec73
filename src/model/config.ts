/**
 * The envelope every piece of user config travels in, whatever its kind: Kubernetes object
 * metadata plus the spec, and where it came from so errors can name file and line.
 */

/** Where a resource was read from (a YAML document's first line). */
export interface ConfigSource {
  readonly file: string;
  readonly line: number;
}

/** A config object of any kind: Kubernetes metadata around an Istio / Gateway API spec. */
export interface ConfigResource<Spec = unknown> {
  /** `VirtualService`, `Gateway`, `HTTPRoute`, ... */
  readonly kind: string;
  /** API group: `networking.istio.io`, `security.istio.io`, `telemetry.istio.io`, `gateway.networking.k8s.io`. */
  readonly group: string;
  /** `v1`, `v1beta1`, `v1alpha3`, ... (all versions of one kind share the schema). */
  readonly version: string;
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly spec: Spec;
  readonly source?: ConfigSource;
  /** Changes whenever the spec changes (Kubernetes resourceVersion, or a content hash for files). */
  readonly revision: string;
  /**
   * RFC 3339 creation time. Istio orders conflicting config by it (oldest wins), then by
   * namespace/name (pilot/pkg/model/config.go `sortConfigByCreationTime`).
   */
  readonly creationTimestamp?: string;
}

export const ISTIO_NETWORKING_GROUP = 'networking.istio.io';
export const ISTIO_SECURITY_GROUP = 'security.istio.io';
export const ISTIO_TELEMETRY_GROUP = 'telemetry.istio.io';
export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** `namespace/name`, Istio's config key. */
export function configKey(config: Pick<ConfigResource, 'namespace' | 'name'>): string {
  return `${config.namespace}/${config.name}`;
}

/**
 * Istio's config precedence: older creation time first, then namespace, then name
 * (pilot/pkg/model/config.go `sortConfigByCreationTime`). Missing timestamps sort as equal.
 */
export function compareConfigAge(a: ConfigResource, b: ConfigResource): number {
  const ta = a.creationTimestamp ? Date.parse(a.creationTimestamp) : 0;
  const tb = b.creationTimestamp ? Date.parse(b.creationTimestamp) : 0;
  if (ta !== tb) return ta - tb;
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return 0;
}
