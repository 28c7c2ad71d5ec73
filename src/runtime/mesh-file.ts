/**
 * The local runtime's mesh file (`skein up -f mesh.yaml`): the workloads to run as processes,
 * the services they form, and the Istio / Gateway API config applied at start. Its shape
 * borrows Kubernetes' vocabulary (labels, serviceAccount, ports, restartPolicy) so it reads
 * like the Deployments and Services it stands in for. Errors name file, line and field.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseYamlDocuments } from '../config/yaml-documents.js';

export const MESH_API_VERSION = 'skein.dev/v1alpha1';

export interface PortSpec {
  readonly name: string;
  readonly port: number;
  /** Istio protocol selection: the name prefix (http, http2, grpc, tcp…) unless set. */
  readonly appProtocol?: string;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface WorkloadSpec {
  readonly name: string;
  readonly namespace: string;
  /** 'app': a process with a sidecar; 'gateway': a standalone router proxy (ingress/egress gateway). */
  readonly kind: 'app' | 'gateway';
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  /** The application command ('app' workloads); run from the mesh file's directory. */
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly ports: readonly PortSpec[];
  readonly restartPolicy: RestartPolicy;
  /** An HTTP path that answers 2xx when the app is ready; without it, a TCP connect on the first port. */
  readonly readinessPath: string | undefined;
  /** A fixed address (gateways reachable from a browser); otherwise one is allocated. */
  readonly address: string | undefined;
}

export interface ServiceSpec {
  readonly name: string;
  readonly namespace: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly PortSpec[];
}

export interface MeshSpec {
  readonly name: string;
  readonly file: string;
  readonly xdsPort: number;
  readonly apiPort: number;
  /** Istio / Gateway API YAML files and directories, absolute. */
  readonly config: readonly string[];
  readonly services: readonly ServiceSpec[];
  readonly workloads: readonly WorkloadSpec[];
}

export class MeshFileError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.problems = problems;
  }
}

export function loadMeshFile(file: string): MeshSpec {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (err) {
    throw new MeshFileError([`${file}: ${(err as Error).message}`]);
  }
  return parseMeshFile(text, absolute);
}

export function parseMeshFile(text: string, file: string): MeshSpec {
  const { documents, errors } = parseYamlDocuments(text);
  const problems = errors.map((e) => `${file}:${e.line}: ${e.message}`);
  const doc = documents[0];
  if (problems.length > 0 || !doc) throw new MeshFileError(problems.length > 0 ? problems : [`${file}: empty mesh file`]);
  const reader = new Reader(file, doc.lineOf, problems);
  const root = reader.object(doc.value, []);
  reader.literal(root.apiVersion, ['apiVersion'], MESH_API_VERSION);
  reader.literal(root.kind, ['kind'], 'Mesh');
  const metadata = reader.object(root.metadata ?? {}, ['metadata']);
  const spec = reader.object(root.spec, ['spec']);
  reader.only(spec, ['spec'], ['controlPlane', 'config', 'services', 'workloads']);
  const controlPlane = reader.object(spec.controlPlane ?? {}, ['spec', 'controlPlane']);
  reader.only(controlPlane, ['spec', 'controlPlane'], ['xdsPort', 'apiPort']);
  const dir = path.dirname(file);
  const workloads = reader.list(spec.workloads, ['spec', 'workloads']).map((w, i) => reader.workload(w, ['spec', 'workloads', i]));
  const services = spec.services === undefined
    ? servicesFromWorkloads(workloads)
    : reader.list(spec.services, ['spec', 'services']).map((s, i) => reader.service(s, ['spec', 'services', i]));
  const names = new Set<string>();
  workloads.forEach((w, i) => {
    if (names.has(w.name)) problems.push(`${file}:${doc.lineOf(['spec', 'workloads', i, 'name'])}: spec.workloads[${i}].name: duplicate workload '${w.name}'`);
    names.add(w.name);
  });
  const mesh: MeshSpec = {
    name: reader.string(metadata.name ?? 'mesh', ['metadata', 'name']),
    file,
    xdsPort: reader.port(controlPlane.xdsPort ?? 15010, ['spec', 'controlPlane', 'xdsPort']),
    apiPort: reader.port(controlPlane.apiPort ?? 15014, ['spec', 'controlPlane', 'apiPort']),
    config: reader.list(spec.config ?? [], ['spec', 'config']).map((p, i) => path.resolve(dir, reader.string(p, ['spec', 'config', i]))),
    services,
    workloads,
  };
  if (problems.length > 0) throw new MeshFileError(problems);
  return mesh;
}

/** Without a services list, each distinct `app` label is a service (as Bookinfo's Services select `app`). */
function servicesFromWorkloads(workloads: readonly WorkloadSpec[]): ServiceSpec[] {
  const byKey = new Map<string, { name: string; namespace: string; ports: Map<number, PortSpec> }>();
  for (const workload of workloads) {
    const app = workload.labels.app;
    if (!app || workload.kind === 'gateway') continue;
    const key = `${workload.namespace}/${app}`;
    const entry = byKey.get(key) ?? { name: app, namespace: workload.namespace, ports: new Map<number, PortSpec>() };
    for (const port of workload.ports) entry.ports.set(port.port, port);
    byKey.set(key, entry);
  }
  return [...byKey.values()].map((s) => ({ name: s.name, namespace: s.namespace, selector: { app: s.name }, ports: [...s.ports.values()] }));
}

type Path = readonly (string | number)[];

class Reader {
  private readonly file: string;
  private readonly lineOf: (path: Path) => number;
  private readonly problems: string[];

  constructor(file: string, lineOf: (path: Path) => number, problems: string[]) {
    this.file = file;
    this.lineOf = lineOf;
    this.problems = problems;
  }

  problem(at: Path, message: string): void {
    const field = at.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
    this.problems.push(`${this.file}:${this.lineOf(at)}: ${field || '(root)'}: ${message}`);
  }

  object(value: unknown, at: Path): Record<string, unknown> {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    this.problem(at, 'must be a mapping');
    return {};
  }

  list(value: unknown, at: Path): unknown[] {
    if (Array.isArray(value)) return value;
    this.problem(at, 'must be a list');
    return [];
  }

  string(value: unknown, at: Path): string {
    if (typeof value === 'string' && value !== '') return value;
    this.problem(at, 'must be a non-empty string');
    return '';
  }

  port(value: unknown, at: Path): number {
    if (typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 65536) return value;
    this.problem(at, 'must be a port number (1-65535)');
    return 0;
  }

  literal(value: unknown, at: Path, expected: string): void {
    if (value !== expected) this.problem(at, `must be '${expected}'`);
  }

  only(object: Record<string, unknown>, at: Path, allowed: readonly string[]): void {
    for (const key of Object.keys(object)) {
      if (!allowed.includes(key)) this.problem([...at, key], `unknown field; expected one of ${allowed.join(', ')}`);
    }
  }

  stringMap(value: unknown, at: Path): Record<string, string> {
    const object = this.object(value ?? {}, at);
    const out: Record<string, string> = {};
    for (const [key, v] of Object.entries(object)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = String(v);
      else this.problem([...at, key], 'must be a string');
    }
    return out;
  }

  ports(value: unknown, at: Path): PortSpec[] {
    return this.list(value ?? [], at).map((p, i) => {
      const port = this.object(p, [...at, i]);
      this.only(port, [...at, i], ['name', 'port', 'appProtocol']);
      const spec: PortSpec = { name: this.string(port.name, [...at, i, 'name']), port: this.port(port.port, [...at, i, 'port']) };
      return port.appProtocol === undefined ? spec : { ...spec, appProtocol: this.string(port.appProtocol, [...at, i, 'appProtocol']) };
    });
  }

  workload(value: unknown, at: Path): WorkloadSpec {
    const w = this.object(value, at);
    this.only(w, at, ['name', 'namespace', 'kind', 'labels', 'serviceAccount', 'command', 'env', 'ports', 'restartPolicy', 'readinessPath', 'address']);
    const name = this.string(w.name, [...at, 'name']);
    const kind = w.kind ?? 'app';
    if (kind !== 'app' && kind !== 'gateway') this.problem([...at, 'kind'], "must be 'app' or 'gateway'");
    const restartPolicy = w.restartPolicy ?? 'Always';
    if (restartPolicy !== 'Always' && restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
      this.problem([...at, 'restartPolicy'], 'must be Always, OnFailure or Never');
    }
    const command = kind === 'app' ? this.list(w.command, [...at, 'command']).map((c, i) => this.string(c, [...at, 'command', i])) : [];
    if (kind === 'gateway' && w.command !== undefined) this.problem([...at, 'command'], 'a gateway runs no application');
    return {
      name,
      namespace: w.namespace === undefined ? 'default' : this.string(w.namespace, [...at, 'namespace']),
      kind: kind as WorkloadSpec['kind'],
      labels: this.stringMap(w.labels, [...at, 'labels']),
      serviceAccount: w.serviceAccount === undefined ? 'default' : this.string(w.serviceAccount, [...at, 'serviceAccount']),
      command,
      env: this.stringMap(w.env, [...at, 'env']),
      ports: this.ports(w.ports, [...at, 'ports']),
      restartPolicy: restartPolicy as RestartPolicy,
      readinessPath: w.readinessPath === undefined ? undefined : this.string(w.readinessPath, [...at, 'readinessPath']),
      address: w.address === undefined ? undefined : this.string(w.address, [...at, 'address']),
    };
  }

  service(value: unknown, at: Path): ServiceSpec {
    const s = this.object(value, at);
    this.only(s, at, ['name', 'namespace', 'selector', 'ports']);
    return {
      name: this.string(s.name, [...at, 'name']),
      namespace: s.namespace === undefined ? 'default' : this.string(s.namespace, [...at, 'namespace']),
      selector: this.stringMap(s.selector, [...at, 'selector']),
      ports: this.ports(s.ports, [...at, 'ports']),
    };
  }
}
