/**
 * Kubernetes `Service` objects as mesh services, converted the way Istio's Kubernetes registry
 * does, for the registries that read Services from config (`skein control`, `skein up`).
 */
import { isIP } from 'node:net';
import type { ConfigResource } from '../model/config.js';
import { protocolFromPortName } from '../model/protocol.js';
import type { Service, ServicePort } from '../model/service.js';
import { kubernetesHostname } from './hostnames.js';

interface KubernetesServicePort {
  readonly name?: string;
  readonly port: number;
  readonly targetPort?: number | string;
  readonly protocol?: string;
  readonly appProtocol?: string;
}

interface KubernetesServiceSpec {
  readonly type?: string;
  readonly clusterIP?: string;
  readonly clusterIPs?: readonly string[];
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports?: readonly KubernetesServicePort[];
}

/** Istio's annotation limiting where a Kubernetes Service is visible. */
const EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo';

/**
 * A Kubernetes Service as Istio's Kubernetes registry converts it (pilot/pkg/serviceregistry/kube
 * conversion.go `ConvertService`): `name.namespace.svc.cluster.local`, protocol from
 * appProtocol or the port name, cluster IPs as VIPs, headless (`clusterIP: None`) as
 * passthrough. A numeric targetPort is where workloads listen; a named one is resolved per
 * workload by its `ports` entry of that name. ExternalName services are not supported.
 */
export function serviceFromKubernetes(resource: ConfigResource): Service | string {
  const spec = resource.spec as KubernetesServiceSpec;
  if (spec.type === 'ExternalName') return `Service ${resource.namespace}/${resource.name}: type ExternalName is not supported; ignored`;
  const ips = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
  const headless = ips.includes('None');
  const ports = (spec.ports ?? []).filter((p) => typeof p.port === 'number').map((p): ServicePort => ({
    name: p.name ?? '',
    port: p.port,
    protocol: protocolFromPortName(p.port, p.name ?? '', p.appProtocol, p.protocol === 'UDP'),
    ...(typeof p.targetPort === 'number' && p.targetPort !== p.port ? { targetPort: p.targetPort } : {}),
  }));
  const exportTo = resource.annotations[EXPORT_TO_ANNOTATION];
  return {
    hostname: kubernetesHostname(resource.name, resource.namespace),
    name: resource.name,
    namespace: resource.namespace,
    ports,
    addresses: ips.filter((ip) => isIP(ip) !== 0),
    labels: resource.labels,
    ...(spec.selector ? { selector: spec.selector } : {}),
    exportTo: exportTo ? exportTo.split(',').map((s) => s.trim()).filter((s) => s !== '') : [],
    resolution: headless ? 'NONE' : 'STATIC',
    location: 'MESH_INTERNAL',
    registry: 'Kubernetes',
    ...(resource.creationTimestamp ? { creationTimestamp: resource.creationTimestamp } : {}),
  };
}
