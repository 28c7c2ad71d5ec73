/**
 * The registry file of `skein control --registry-file FILE`: services and the workloads behind
 * them, for a control plane with no Kubernetes to discover them from. A YAML list:
 *
 *   - service:                      # a Kubernetes-like Service: <name>.<namespace>.svc.cluster.local
 *       name: reviews
 *       namespace: default          # default: default
 *       ports:                      # protocol from the name or appProtocol, as Istio
 *       - {name: http, port: 9080}  # targetPort: where workloads listen, when it differs
 *       selector: {app: reviews}    # default: {app: <name>}
 *     workloads:                    # each must carry the selector's labels
 *     - name: reviews-v1
 *       address: 127.0.10.3
 *       labels: {app: reviews, version: v1}
 *       ports: {http: 19080}        # service port name → the port it listens on (default: targetPort, else the port)
 *       serviceAccount: reviews     # optional
 *   - workloads:                    # workloads alone: for Services declared in --config-dir
 *     - {name: ratings-v1, address: 127.0.10.4, labels: {app: ratings, version: v1}}
 *
 * Every problem names file, line and field; a file with any problem is rejected whole.
 */
import { isIP } from 'node:net';
import { EMPTY_LOCALITY, type Workload } from '../model/endpoint.js';
import { labelsMatch } from '../model/labels.js';
import { protocolFromPortName } from '../model/protocol.js';
import type { Service, ServicePort } from '../model/service.js';
import { formatFieldPath, type FieldPath } from '../config/field-path.js';
import { parseYamlDocuments } from '../config/yaml-documents.js';
import { kubernetesHostname } from '../registry/hostnames.js';

export interface RegistryFileContents {
  readonly services: readonly Service[];
  readonly workloads: readonly Workload[];
}

export type RegistryFileResult = { ok: true; contents: RegistryFileContents } | { ok: false; problems: readonly string[] };

type Json = Record<string, unknown>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

class Reader {
  readonly problems: string[] = [];
  private readonly file: string;
  private readonly lineOf: (path: FieldPath) => number;

  constructor(file: string, lineOf: (path: FieldPath) => number) {
    this.file = file;
    this.lineOf = lineOf;
  }

  problem(at: FieldPath, message: string): void {
    this.problems.push(`${this.file}:${this.lineOf(at)}: ${formatFieldPath(at) || '(root)'}: ${message}`);
  }

  object(value: unknown, at: FieldPath, allowed: readonly string[]): Json {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.problem(at, 'must be a mapping');
      return {};
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.problem([...at, key], `unknown field '${key}'; expected one of ${allowed.join(', ')}`);
    }
    return value as Json;
  }

  list(value: unknown, at: FieldPath): unknown[] {
    if (value === undefined) return [];
    if (Array.isArray(value)) return value;
    this.problem(at, 'must be a list');
    return [];
  }

  name(value: unknown, at: FieldPath): string {
    if (typeof value === 'string' && DNS_LABEL.test(value) && value.length <= 63) return value;
    this.problem(at, 'must be a DNS label (lower-case letters, digits and -)');
    return '';
  }

  address(value: unknown, at: FieldPath): string {
    if (typeof value === 'string' && isIP(value) !== 0) return value;
    this.problem(at, 'must be an IP address');
    return '';
  }

  string(value: unknown, at: FieldPath): string {
    if (typeof value === 'string' && value !== '') return value;
    this.problem(at, 'must be a non-empty string');
    return '';
  }

  port(value: unknown, at: FieldPath): number {
    if (typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 65536) return value;
    this.problem(at, 'must be a port number (1-65535)');
    return 0;
  }

  labels(value: unknown, at: FieldPath): Record<string, string> {
    if (value === undefined) return {};
    const object = this.object(value, at, Object.keys((value as Json | null) ?? {}));
    const out: Record<string, string> = {};
    for (const [key, v] of Object.entries(object)) {
      if (typeof v === 'string') out[key] = v;
      else this.problem([...at, key], 'must be a string');
    }
    return out;
  }
}

function readPorts(r: Reader, value: unknown, at: FieldPath): ServicePort[] {
  const ports = r.list(value, at).map((item, i): ServicePort => {
    const p = r.object(item, [...at, i], ['name', 'port', 'targetPort', 'appProtocol']);
    const name = p.name === undefined ? '' : r.name(p.name, [...at, i, 'name']);
    const port = r.port(p.port, [...at, i, 'port']);
    const appProtocol = p.appProtocol === undefined ? undefined : r.string(p.appProtocol, [...at, i, 'appProtocol']);
    const targetPort = p.targetPort === undefined ? undefined : r.port(p.targetPort, [...at, i, 'targetPort']);
    return { name, port, protocol: protocolFromPortName(port, name, appProtocol), ...(targetPort ? { targetPort } : {}) };
  });
  if (ports.length === 0) r.problem(at, 'a service needs at least one port');
  return ports;
}

function readService(r: Reader, value: unknown, at: FieldPath): Service {
  const s = r.object(value, at, ['name', 'namespace', 'ports', 'selector', 'labels']);
  const name = r.name(s.name, [...at, 'name']);
  const namespace = s.namespace === undefined ? 'default' : r.name(s.namespace, [...at, 'namespace']);
  const selector = s.selector === undefined ? { app: name } : r.labels(s.selector, [...at, 'selector']);
  return {
    hostname: kubernetesHostname(name, namespace),
    name,
    namespace,
    ports: readPorts(r, s.ports, [...at, 'ports']),
    addresses: [],
    labels: s.labels === undefined ? { app: name } : r.labels(s.labels, [...at, 'labels']),
    selector,
    exportTo: [],
    resolution: 'STATIC',
    location: 'MESH_INTERNAL',
    registry: 'Kubernetes',
  };
}

function readWorkload(r: Reader, value: unknown, at: FieldPath, defaultNamespace: string): Workload {
  const w = r.object(value, at, ['name', 'namespace', 'address', 'labels', 'ports', 'serviceAccount']);
  const ports: Record<string, number> = {};
  if (w.ports !== undefined) {
    const object = r.object(w.ports, [...at, 'ports'], Object.keys((w.ports as Json | null) ?? {}));
    for (const [portName, port] of Object.entries(object)) ports[portName] = r.port(port, [...at, 'ports', portName]);
  }
  return {
    name: r.name(w.name, [...at, 'name']),
    namespace: w.namespace === undefined ? defaultNamespace : r.name(w.namespace, [...at, 'namespace']),
    address: r.address(w.address, [...at, 'address']),
    ports,
    labels: r.labels(w.labels, [...at, 'labels']),
    serviceAccount: w.serviceAccount === undefined ? '' : r.string(w.serviceAccount, [...at, 'serviceAccount']),
    locality: EMPTY_LOCALITY,
    health: 'HEALTHY',
    weight: 1,
    network: '',
  };
}

export function parseRegistryFile(text: string, file: string): RegistryFileResult {
  const { documents, errors } = parseYamlDocuments(text);
  if (errors.length > 0) return { ok: false, problems: errors.map((e) => `${file}:${e.line}: ${e.message}`) };
  if (documents.length > 1) return { ok: false, problems: [`${file}:${documents[1]!.line}: one YAML document expected (a list of entries)`] };
  const doc = documents[0];
  if (!doc) return { ok: true, contents: { services: [], workloads: [] } };
  const r = new Reader(file, (path) => doc.lineOf(path));
  const services: Service[] = [];
  const workloads: Workload[] = [];
  const serviceKeys = new Map<string, number>();
  const workloadKeys = new Map<string, string>();
  const entries = Array.isArray(doc.value) ? doc.value : (r.problem([], 'must be a list of {service, workloads} entries'), []);
  entries.forEach((item, i) => {
    const entry = r.object(item, [i], ['service', 'workloads']);
    const service = entry.service === undefined ? undefined : readService(r, entry.service, [i, 'service']);
    if (service) {
      const key = `${service.namespace}/${service.name}`;
      const first = serviceKeys.get(key);
      if (first !== undefined) r.problem([i, 'service', 'name'], `service ${key} is already declared by entry [${first}]`);
      serviceKeys.set(key, i);
      services.push(service);
    }
    r.list(entry.workloads, [i, 'workloads']).forEach((w, j) => {
      const at: FieldPath = [i, 'workloads', j];
      const workload = readWorkload(r, w, at, service?.namespace ?? 'default');
      const key = `${workload.namespace}/${workload.name}`;
      const first = workloadKeys.get(key);
      if (first !== undefined) r.problem([...at, 'name'], `workload ${key} is already declared at ${first}`);
      workloadKeys.set(key, formatFieldPath(at));
      if (service && (workload.namespace !== service.namespace || !labelsMatch(service.selector, workload.labels))) {
        r.problem([...at, 'labels'], `the service's selector ${JSON.stringify(service.selector)} in namespace ${service.namespace} does not select this workload`);
      }
      workloads.push(workload);
    });
    if (!service && entry.workloads === undefined) r.problem([i], 'an entry needs a service, workloads, or both');
  });
  return r.problems.length > 0 ? { ok: false, problems: r.problems } : { ok: true, contents: { services, workloads } };
}
