/**
 * Validates a ClusterLoadAssignment (from EDS, or a cluster's `load_assignment`) and flattens it
 * into host specs with their priority and locality. Envoy's rules: endpoint and locality weights
 * are at least 1 (unset endpoint weight means 1; unset locality weight means no locality load
 * under locality-weighted balancing), weights in a locality sum to at most 2^32 - 1, STATIC and
 * EDS endpoints must be IP addresses, and the overprovisioning factor defaults to 140.
 */
import net from 'node:net';
import type { ClusterLoadAssignment__Output } from '../../xds/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
import type { LbEndpoint__Output } from '../../xds/generated/envoy/config/endpoint/v3/LbEndpoint.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import type { HostSpec } from './host.js';
import { DEFAULT_OVERPROVISIONING_FACTOR } from './priority-set.js';

const UINT32_MAX = 4_294_967_295;

export interface PrioritizedLocality {
  readonly priority: number;
  readonly locality: string;
  readonly weight: number | undefined;
}

export interface ParsedAssignment {
  readonly hosts: readonly HostSpec[];
  /** Every LocalityLbEndpoints entry, in order, even those with no endpoints. */
  readonly localities: readonly PrioritizedLocality[];
  readonly overprovisioningFactor: number;
  readonly weightedPriorityHealth: boolean;
}

/** 'ip' for STATIC and EDS (addresses are used as they are), 'dns' for names to resolve. */
export type AddressKind = 'ip' | 'dns';

export const EMPTY_ASSIGNMENT: ParsedAssignment = {
  hosts: [],
  localities: [],
  overprovisioningFactor: DEFAULT_OVERPROVISIONING_FACTOR,
  weightedPriorityHealth: false,
};

export function localityName(locality: { region: string; zone: string; sub_zone: string } | null): string {
  if (!locality || (!locality.region && !locality.zone && !locality.sub_zone)) return '';
  return `${locality.region}/${locality.zone}/${locality.sub_zone}`;
}

export function parseLoadAssignment(
  cla: ClusterLoadAssignment__Output,
  path: FieldPath,
  errors: ConfigError[],
  kind: AddressKind,
): ParsedAssignment {
  checkSupported(
    'envoy.config.endpoint.v3.ClusterLoadAssignment',
    cla,
    ['cluster_name', 'endpoints', 'policy'],
    path,
    errors,
  );
  let overprovisioningFactor = DEFAULT_OVERPROVISIONING_FACTOR;
  let weightedPriorityHealth = false;
  if (cla.policy) {
    const policyPath = [...path, 'policy'];
    checkSupported(
      'envoy.config.endpoint.v3.ClusterLoadAssignment.Policy',
      cla.policy,
      ['overprovisioning_factor', 'weighted_priority_health'],
      policyPath,
      errors,
    );
    const factor = cla.policy.overprovisioning_factor?.value;
    if (factor !== undefined) {
      if (factor <= 0)
        errors.push({ path: [...policyPath, 'overprovisioning_factor'], message: 'must be greater than 0' });
      else overprovisioningFactor = factor;
    }
    weightedPriorityHealth = cla.policy.weighted_priority_health;
  }

  const hosts: HostSpec[] = [];
  const localities: PrioritizedLocality[] = [];
  const localityWeightSums = new Map<number, number>();
  cla.endpoints.forEach((group, i) => {
    const groupPath = [...path, 'endpoints', i];
    checkSupported(
      'envoy.config.endpoint.v3.LocalityLbEndpoints',
      group,
      ['locality', 'lb_endpoints', 'load_balancing_weight', 'priority'],
      groupPath,
      errors,
    );
    if (group.locality) {
      checkSupported(
        'envoy.config.core.v3.Locality',
        group.locality,
        ['region', 'zone', 'sub_zone'],
        [...groupPath, 'locality'],
        errors,
      );
    }
    const locality = localityName(group.locality);
    const weight = group.load_balancing_weight?.value;
    if (weight !== undefined && weight < 1) {
      errors.push({ path: [...groupPath, 'load_balancing_weight'], message: 'must be at least 1' });
    }
    const prioritySum = (localityWeightSums.get(group.priority) ?? 0) + (weight ?? 0);
    localityWeightSums.set(group.priority, prioritySum);
    if (prioritySum > UINT32_MAX) {
      errors.push({
        path: [...groupPath, 'load_balancing_weight'],
        message: `the sum of locality weights at priority ${group.priority} exceeds ${UINT32_MAX}`,
      });
    }
    localities.push({ priority: group.priority, locality, weight });
    let endpointWeightSum = 0;
    group.lb_endpoints.forEach((lbEndpoint, j) => {
      const spec = parseLbEndpoint(
        lbEndpoint,
        [...groupPath, 'lb_endpoints', j],
        errors,
        kind,
        group.priority,
        locality,
      );
      if (!spec) return;
      endpointWeightSum += spec.weight;
      if (endpointWeightSum > UINT32_MAX) {
        errors.push({
          path: [...groupPath, 'lb_endpoints', j],
          message: `the sum of weights of all upstream hosts in a locality exceeds ${UINT32_MAX}`,
        });
      }
      hosts.push(spec);
    });
  });
  return { hosts, localities, overprovisioningFactor, weightedPriorityHealth };
}

function parseLbEndpoint(
  lbEndpoint: LbEndpoint__Output,
  path: FieldPath,
  errors: ConfigError[],
  kind: AddressKind,
  priority: number,
  locality: string,
): HostSpec | undefined {
  // Endpoint metadata is kept by the control plane for filters and subsets; it changes nothing here.
  checkSupported(
    'envoy.config.endpoint.v3.LbEndpoint',
    lbEndpoint,
    ['endpoint', 'health_status', 'load_balancing_weight', 'metadata'],
    path,
    errors,
  );
  const weight = lbEndpoint.load_balancing_weight?.value ?? 1;
  if (weight < 1) errors.push({ path: [...path, 'load_balancing_weight'], message: 'must be at least 1' });
  const endpoint = lbEndpoint.endpoint;
  if (!endpoint) {
    if (lbEndpoint.host_identifier !== 'endpoint_name')
      errors.push({ path: [...path, 'endpoint'], message: 'endpoint is required' });
    return undefined;
  }
  const endpointPath = [...path, 'endpoint'];
  checkSupported(
    'envoy.config.endpoint.v3.Endpoint',
    endpoint,
    ['address', 'hostname'],
    endpointPath,
    errors,
  );
  const address = endpoint.address;
  const addressPath = [...endpointPath, 'address'];
  if (!address) {
    errors.push({ path: addressPath, message: 'address is required' });
    return undefined;
  }
  checkSupported('envoy.config.core.v3.Address', address, ['socket_address'], addressPath, errors);
  const socket = address.socket_address;
  if (!socket) {
    if (address.address === undefined)
      errors.push({ path: addressPath, message: 'a socket_address is required' });
    return undefined;
  }
  const socketPath = [...addressPath, 'socket_address'];
  // `protocol` is left out on purpose: its default (TCP) passes, UDP is reported.
  checkSupported('envoy.config.core.v3.SocketAddress', socket, ['address', 'port_value'], socketPath, errors);
  const port = socket.port_value ?? 0;
  if (port > 65535) errors.push({ path: [...socketPath, 'port_value'], message: 'must be at most 65535' });
  if (!socket.address) {
    errors.push({ path: [...socketPath, 'address'], message: 'address is required' });
    return undefined;
  }
  if (kind === 'ip' && net.isIP(socket.address) === 0) {
    errors.push({
      path: [...socketPath, 'address'],
      message: `malformed IP address: ${socket.address}. Consider setting resolver_name or setting cluster type to 'STRICT_DNS' or 'LOGICAL_DNS'`,
    });
    return undefined;
  }
  return {
    address: socket.address,
    port,
    hostname: endpoint.hostname,
    weight,
    priority,
    locality,
    healthStatus: lbEndpoint.health_status,
  };
}
