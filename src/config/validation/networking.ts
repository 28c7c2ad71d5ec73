/**
 * DestinationRule, Gateway, ServiceEntry, WorkloadEntry and Sidecar semantic checks, after
 * istio/istio pkg/config/validation/validation.go (`ValidateDestinationRule`, `ValidateGateway`,
 * `ValidateServiceEntry`, `ValidateWorkloadEntry`, `ValidateSidecar`).
 */
import type { ConfigResource } from '../../model/config.js';
import type {
  DestinationRuleSpec,
  GatewaySpec,
  Server,
  ServiceEntrySpec,
  SidecarSpec,
  TrafficPolicy,
  WorkloadEntrySpec,
} from '../../model/networking.js';
import { parseProtocol } from '../../model/protocol.js';
import type { FieldPath } from '../field-path.js';
import {
  Issues,
  isDns1123Label,
  isIpAddress,
  validateExportTo,
  validateFqdn,
  validateLabels,
  validatePartialWildcard,
  validatePort,
  validateWildcardDomain,
} from './common.js';

function validateTrafficPolicy(policy: TrafficPolicy | undefined, path: FieldPath, issues: Issues): void {
  if (!policy) return;
  const outlier = policy.outlierDetection;
  if (outlier) {
    for (const field of ['maxEjectionPercent', 'minHealthPercent'] as const) {
      const value = outlier[field];
      if (value !== undefined && (value < 0 || value > 100)) issues.error([...path, 'outlierDetection', field], `percentage ${value} is not in range 0..100`);
    }
  }
  policy.portLevelSettings?.forEach((setting, i) => {
    if (!setting.port) issues.error([...path, 'portLevelSettings', i], 'portTrafficPolicy must have valid port');
    else if (setting.port.number !== undefined) issues.error([...path, 'portLevelSettings', i, 'port', 'number'], validatePort(setting.port.number));
  });
}

export function validateDestinationRule(resource: ConfigResource): Issues {
  const rule = (resource.spec ?? {}) as DestinationRuleSpec;
  const issues = new Issues();
  issues.error(['spec', 'host'], validateWildcardDomain(rule.host ?? ''));
  validateTrafficPolicy(rule.trafficPolicy, ['spec', 'trafficPolicy'], issues);
  const names = new Set<string>();
  rule.subsets?.forEach((subset, i) => {
    const path = ['spec', 'subsets', i];
    if (names.has(subset.name)) issues.error([...path, 'name'], `duplicate subset names: ${subset.name}`);
    names.add(subset.name);
    if (subset.name === '') issues.error([...path, 'name'], 'subset name cannot be empty');
    else if (!isDns1123Label(subset.name)) issues.error([...path, 'name'], `subset name is invalid: ${subset.name}`);
    validateLabels(subset.labels, [...path, 'labels'], issues);
    validateTrafficPolicy(subset.trafficPolicy, [...path, 'trafficPolicy'], issues);
  });
  validateExportTo(resource.namespace, rule.exportTo, ['spec', 'exportTo'], issues);
  const exportTo = rule.exportTo ?? [];
  if (rule.workloadSelector && exportTo.length > 0) {
    const local = exportTo.map((e) => (e === '.' ? resource.namespace : e));
    if (!local.includes(resource.namespace)) {
      issues.error(['spec', 'exportTo'], 'destination rule with workload selector cannot have exportTo beyond current namespace');
    } else if (new Set(local).size > 1) {
      issues.error(['spec', 'exportTo'], 'destination rule with workload selector cannot have multiple entries in exportTo');
    }
  }
  return issues;
}

/** agent.ValidateNamespaceSlashWildcardHostname for gateways (isGateway = true) and sidecars. */
export function validateNamespaceSlashHost(host: string, isGateway: boolean, path: FieldPath, issues: Issues): void {
  const slash = host.indexOf('/');
  const hostname = slash < 0 ? host : host.slice(slash + 1);
  if (slash < 0 && !isGateway) return issues.error(path, 'host must be of form namespace/dnsName');
  if (slash >= 0) {
    const namespace = host.slice(0, slash);
    if (namespace === '' || hostname === '') issues.error(path, 'config namespace and dnsName in host entry cannot be empty');
    if (!isGateway) {
      const ns = namespace.replace(/^~/, '');
      if (ns !== '' && ns !== '*' && ns !== '.' && !isDns1123Label(ns)) issues.error(path, `invalid namespace value "${namespace}" in sidecar`);
    } else if (namespace !== '*' && namespace !== '.' && !isDns1123Label(namespace)) {
      issues.error(path, `invalid namespace value "${namespace}" in gateway`);
    }
  }
  if (hostname !== '*' && !hostname.includes('.')) issues.error(path, 'short names (non FQDN) are not allowed');
  const domainError = validateWildcardDomain(hostname);
  if (domainError !== undefined && !(isGateway && isIpAddress(hostname))) issues.error(path, domainError);
  issues.error(path, validatePartialWildcard(hostname));
}

const SERVER_PROTOCOLS = 'HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP';

function validateServer(server: Server, path: FieldPath, issues: Issues): void {
  if (!server.hosts || server.hosts.length === 0) issues.error([...path, 'hosts'], 'server config must contain at least one host');
  server.hosts?.forEach((host, i) => validateNamespaceSlashHost(host, true, [...path, 'hosts', i], issues));
  const port = server.port;
  if (!port) return issues.error([...path, 'port'], 'port is required');
  const protocol = parseProtocol(port.protocol ?? '');
  if (protocol === 'UnsupportedProtocol') {
    issues.error([...path, 'port', 'protocol'], `invalid protocol "${port.protocol ?? ''}", supported protocols are ${SERVER_PROTOCOLS}`);
  }
  if (port.number > 0 || !(server.bind ?? '').startsWith('unix://')) issues.error([...path, 'port', 'number'], validatePort(port.number));
  if (port.targetPort) issues.error([...path, 'port', 'targetPort'], 'targetPort has no impact on Gateways');
  if (!port.name) issues.error([...path, 'port', 'name'], `port name must be set: number:${port.number} protocol:"${port.protocol ?? ''}"`);
  if (server.bind && !server.bind.startsWith('unix://') && !isIpAddress(server.bind)) issues.error([...path, 'bind'], `invalid IP address: ${server.bind}`);
  const isTls = protocol === 'HTTPS' || protocol === 'TLS';
  const isHttp = protocol === 'HTTP' || protocol === 'HTTP2' || protocol === 'GRPC' || protocol === 'GRPC-Web' || protocol === 'HTTP_PROXY';
  const tls = server.tls;
  if (protocol === 'UnsupportedProtocol') return;
  if (isTls && !tls) issues.error([...path, 'tls'], 'server must have TLS settings for HTTPS/TLS protocols');
  else if (!isTls && tls) {
    // Plain HTTP servers may carry tls only to redirect to HTTPS (gateway.IsPassThroughServer aside).
    const onlyRedirect = !tls.mode && !tls.caCertificates && !tls.privateKey && !tls.serverCertificate && !tls.credentialName;
    if (!isHttp) issues.error([...path, 'tls'], 'server cannot have TLS settings for non HTTPS/TLS ports');
    else if (!onlyRedirect) issues.error([...path, 'tls'], 'server cannot have TLS settings for plain text HTTP ports');
  }
  if (tls?.httpsRedirect && !isHttp) issues.warning([...path, 'tls', 'httpsRedirect'], 'tls.httpsRedirect should only be used with http servers');
}

export function validateGateway(resource: ConfigResource): Issues {
  const gateway = (resource.spec ?? {}) as GatewaySpec;
  const issues = new Issues();
  // Gateway names are referenced as `namespace/name` and so must be DNS labels (no dots).
  if (!isDns1123Label(resource.name)) issues.error(['metadata', 'name'], `invalid gateway name: "${resource.name}"`);
  if (!gateway.servers || gateway.servers.length === 0) issues.error(['spec', 'servers'], 'gateway must have at least one server');
  const portNames = new Set<string>();
  gateway.servers?.forEach((server, i) => {
    validateServer(server, ['spec', 'servers', i], issues);
    const name = server.port?.name ?? '';
    if (server.port && portNames.has(name)) issues.error(['spec', 'servers', i, 'port', 'name'], `port names in servers must be unique: duplicate name ${name}`);
    portNames.add(name);
  });
  validateLabels(gateway.selector, ['spec', 'selector'], issues);
  return issues;
}

/** validateWorkloadEntry (ServiceEntry endpoints and WorkloadEntry specs). */
export function validateWorkloadEntry(
  entry: WorkloadEntrySpec,
  servicePortNames: ReadonlySet<string> | undefined,
  allowFqdn: boolean,
  path: FieldPath,
  issues: Issues,
): void {
  const address = entry.address ?? '';
  if (address === '' && !entry.network) issues.error([...path, 'address'], 'address is required');
  if (address.startsWith('unix://')) {
    if (entry.ports && Object.keys(entry.ports).length > 0) issues.error([...path, 'ports'], 'unix endpoint cannot have ports');
  } else if (address !== '' && !isIpAddress(address)) {
    if (!allowFqdn) issues.error([...path, 'address'], `endpoint address "${address}" is not a valid IP address`);
    else issues.error([...path, 'address'], validateFqdn(address));
  }
  for (const [name, port] of Object.entries(entry.ports ?? {})) {
    if (servicePortNames && !servicePortNames.has(name)) issues.error([...path, 'ports', name], `endpoint port ${name} is not defined by the service entry`);
    issues.error([...path, 'ports', name], validatePort(port));
  }
  validateLabels(entry.labels, [...path, 'labels'], issues);
}

export function validateWorkloadEntryResource(resource: ConfigResource): Issues {
  const issues = new Issues();
  validateWorkloadEntry((resource.spec ?? {}) as WorkloadEntrySpec, undefined, true, ['spec'], issues);
  return issues;
}

export function validateServiceEntry(resource: ConfigResource): Issues {
  const se = (resource.spec ?? {}) as ServiceEntrySpec;
  const issues = new Issues();
  const resolution = se.resolution ?? 'NONE';
  if (se.workloadSelector && se.endpoints) issues.error(['spec'], 'only one of WorkloadSelector or Endpoints is allowed in Service Entry');
  if (se.workloadSelector && Object.keys(se.workloadSelector.labels ?? {}).length === 0) {
    issues.warning(['spec', 'workloadSelector'], 'service entry: workload selector specified without labels, will be applied to all services in namespace');
  }
  if (!se.hosts || se.hosts.length === 0) issues.error(['spec', 'hosts'], 'service entry must have at least one host');
  se.hosts?.forEach((host, i) => {
    if (host === '*') return issues.error(['spec', 'hosts', i], `invalid host ${host}`);
    issues.error(['spec', 'hosts', i], validateWildcardDomain(host));
    if (resolution !== 'DYNAMIC_DNS') issues.warning(['spec', 'hosts', i], validatePartialWildcard(host));
  });
  let cidr = false;
  se.addresses?.forEach((address, i) => {
    const [ip = '', bits] = address.split('/');
    cidr ||= bits !== undefined;
    const maxBits = isIP6(ip) ? 128 : 32;
    if (!isIpAddress(ip) || (bits !== undefined && (!/^[0-9]+$/.test(bits) || Number(bits) > maxBits))) {
      issues.error(['spec', 'addresses', i], `invalid IP address or CIDR "${address}"`);
    }
  });
  if (cidr && resolution !== 'NONE' && resolution !== 'STATIC') issues.error(['spec', 'addresses'], 'CIDR addresses are allowed only for NONE/STATIC resolution types');
  const portNames = new Set<string>();
  const portNumbers = new Set<number>();
  se.ports?.forEach((port, i) => {
    const path = ['spec', 'ports', i];
    const name = port.name ?? '';
    if (portNames.has(name)) issues.error([...path, 'name'], `service entry port name "${name}" already defined`);
    if (portNumbers.has(port.number)) issues.error([...path, 'number'], `service entry port ${port.number} already defined`);
    portNames.add(name);
    portNumbers.add(port.number);
    if (port.targetPort) issues.error([...path, 'targetPort'], validatePort(port.targetPort));
    if ((se.addresses ?? []).length === 0 && (!port.protocol || port.protocol === 'TCP')) {
      issues.warning(path, 'addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled');
    }
    if (!isDns1123Label(name)) issues.error([...path, 'name'], `invalid port name: ${name}`);
    if (parseProtocol(port.protocol ?? '') === 'UnsupportedProtocol') issues.error([...path, 'protocol'], `unrecognized protocol "${port.protocol ?? ''}"`);
    issues.error([...path, 'number'], validatePort(port.number));
  });
  if (resolution === 'NONE') {
    if ((se.endpoints?.length ?? 0) > 0) issues.error(['spec', 'endpoints'], 'no endpoints should be provided for resolution type none');
    if (se.workloadSelector) issues.warning(['spec', 'workloadSelector'], 'workloadSelector should not be set when resolution mode is NONE');
  } else if (resolution === 'STATIC') {
    se.endpoints?.forEach((endpoint, i) => validateWorkloadEntry(endpoint, portNames, false, ['spec', 'endpoints', i], issues));
  } else if (resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') {
    if (!se.endpoints || se.endpoints.length === 0) {
      const bad = se.hosts?.map((h) => validateFqdn(h)).find((e) => e !== undefined);
      if (bad) issues.error(['spec', 'hosts'], `hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution mode ${resolution}, ${bad}`);
    }
    if (resolution === 'DNS_ROUND_ROBIN' && (se.endpoints?.length ?? 0) > 1) {
      issues.error(['spec', 'endpoints'], `there must only be 0 or 1 endpoint for resolution mode ${resolution}`);
    }
    se.endpoints?.forEach((endpoint, i) => validateWorkloadEntry(endpoint, portNames, true, ['spec', 'endpoints', i], issues));
  }
  validateExportTo(resource.namespace, se.exportTo, ['spec', 'exportTo'], issues, true);
  return issues;
}

function isIP6(ip: string): boolean {
  return ip.includes(':');
}

export function validateSidecar(resource: ConfigResource): Issues {
  const sidecar = (resource.spec ?? {}) as SidecarSpec;
  const issues = new Issues();
  if (!sidecar.egress?.length && !sidecar.ingress?.length && !sidecar.outboundTrafficPolicy && !sidecar.inboundConnectionPool) {
    issues.error(['spec'], 'sidecar: empty configuration provided');
  }
  validateLabels(sidecar.workloadSelector?.labels, ['spec', 'workloadSelector', 'labels'], issues);
  sidecar.ingress?.forEach((ingress, i) => {
    if (!ingress.port) issues.error(['spec', 'ingress', i], 'sidecar: port is required for ingress listeners');
    else issues.error(['spec', 'ingress', i, 'port', 'number'], validatePort(ingress.port.number));
  });
  let catchAll = false;
  sidecar.egress?.forEach((egress, i) => {
    const path = ['spec', 'egress', i];
    if (!egress.port) {
      if (catchAll) issues.error(path, 'sidecar: the egress listener with empty port should be the last listener in the list');
      catchAll = true;
    } else {
      if (catchAll) issues.error(path, 'sidecar: the egress listener with empty port should be the last listener in the list');
      issues.error([...path, 'port', 'number'], validatePort(egress.port.number));
    }
    if (!egress.hosts || egress.hosts.length === 0) issues.error([...path, 'hosts'], 'sidecar: egress listener must contain at least one host');
    egress.hosts?.forEach((host, j) => validateNamespaceSlashHost(host, false, [...path, 'hosts', j], issues));
  });
  return issues;
}
