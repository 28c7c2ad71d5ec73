/**
 * Workloads and the endpoints they contribute to services (Istio `WorkloadInstance` and
 * `IstioEndpoint`, pilot/pkg/model/service.go).
 */
import type { Labels } from './labels.js';
import type { Service, ServicePort } from './service.js';

/** Istio's `HealthStatus`: only HEALTHY endpoints take traffic; DRAINING ones finish what they have. */
export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'DRAINING';

/** `region/zone/subzone`, any part may be empty. */
export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subzone: string;
}

/** A running instance of an application (a pod, a WorkloadEntry, a local process). */
export interface Workload {
  readonly name: string;
  readonly namespace: string;
  readonly address: string;
  /** Named ports the workload listens on (WorkloadEntry `ports`: service port name → workload port). */
  readonly ports: Readonly<Record<string, number>>;
  readonly labels: Labels;
  readonly serviceAccount: string;
  readonly locality: Locality;
  readonly health: HealthStatus;
  /** Load-balancing weight; Istio's default is 1 (0 is treated as 1). */
  readonly weight: number;
  readonly network: string;
}

/** One endpoint of one service port (Istio `IstioEndpoint`). */
export interface ServiceEndpoint {
  readonly address: string;
  /** The port the workload listens on for this service port. */
  readonly port: number;
  /** The service port this endpoint serves (its number), and its name. */
  readonly servicePort: number;
  readonly servicePortName: string;
  readonly labels: Labels;
  readonly serviceAccount: string;
  readonly locality: Locality;
  readonly health: HealthStatus;
  readonly weight: number;
  readonly network: string;
  readonly workloadName: string;
  readonly namespace: string;
}

export const EMPTY_LOCALITY: Locality = { region: '', zone: '', subzone: '' };

/** Parses Istio's `region/zone/subzone` locality label. */
export function parseLocality(label: string | undefined): Locality {
  if (!label) return EMPTY_LOCALITY;
  const [region = '', zone = '', subzone = ''] = label.split('/');
  return { region, zone, subzone };
}

export function localityLabel(locality: Locality): string {
  return [locality.region, locality.zone, locality.subzone].join('/').replace(/\/+$/, '');
}

/**
 * The port a workload serves a service port on, as Istio's ServiceEntry controller resolves it
 * (serviceentry/conversion.go `convertWorkloadEntryToServiceInstances`): the workload's port of
 * the same name, else the service port's targetPort, else the service port itself.
 */
export function workloadPortFor(workload: Workload, port: ServicePort): number {
  return workload.ports[port.name] ?? port.targetPort ?? port.port;
}

/** The endpoints a set of workloads contributes to a service: one per workload per service port. */
export function endpointsOf(service: Service, workloads: readonly Workload[]): ServiceEndpoint[] {
  const out: ServiceEndpoint[] = [];
  for (const workload of workloads) {
    for (const port of service.ports) {
      out.push({
        address: workload.address,
        port: workloadPortFor(workload, port),
        servicePort: port.port,
        servicePortName: port.name,
        labels: workload.labels,
        serviceAccount: workload.serviceAccount,
        locality: workload.locality,
        health: workload.health,
        weight: workload.weight,
        network: workload.network,
        workloadName: workload.name,
        namespace: workload.namespace,
      });
    }
  }
  return out;
}
