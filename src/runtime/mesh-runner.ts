/**
 * `skein up`: a whole mesh on one machine. The control plane runs in this process; every
 * workload runs as an app process with its own sidecar process (or, for gateways, a router
 * proxy alone), each on its own loopback IP. Sidecars get their config over real ADS, exactly
 * as they would from istiod; the local registry learns endpoints as workloads become ready.
 *
 * Traffic capture without root: the app's HTTP_PROXY points at its sidecar's outbound HTTP
 * proxy listener (<workload IP>:15080), so `http://reviews:9080/...` goes through the sidecar,
 * which routes by Host with Istio's `http_proxy` route configuration. Inbound, peers reach the
 * workload at <workload IP>:<service port>, where its sidecar listens and forwards to the app
 * at <workload IP>:<service port + 10000>.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic } from '../config/diagnostic.js';
import { loadPaths } from '../config/load.js';
import { MemoryConfigStore } from '../config/store/memory-store.js';
import { ControlPlane } from '../control/control-plane.js';
import { EMPTY_LOCALITY, type Workload } from '../model/endpoint.js';
import { protocolFromPortName } from '../model/protocol.js';
import { proxyNodeId } from '../model/proxy.js';
import type { Service } from '../model/service.js';
import { KIND, sameType } from '../config/kinds.js';
import type { ConfigChangeBatch } from '../config/store/config-store.js';
import type { ConfigResource } from '../model/config.js';
import { kubernetesHostname } from '../registry/hostnames.js';
import { serviceFromKubernetes } from '../registry/kubernetes-service.js';
import { MemoryRegistry } from '../registry/memory-registry.js';
import { ServiceEntryRegistry } from '../registry/service-entry-registry.js';
import { appPortFor, podName, SIDECAR_ADMIN_PORT, SIDECAR_HTTP_PROXY_PORT, workloadAddress } from './addresses.js';
import { type LogSink, ManagedProcess } from './managed-process.js';
import type { MeshSpec, ServiceSpec, WorkloadSpec } from './mesh-file.js';
import { type RunningWorkload, WorkloadRunner } from './workload-runner.js';

/** bin/skein.js of this installation: sidecars are this same binary in the proxy role. */
const SKEIN_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/skein.js');

export interface MeshRunnerOptions {
  readonly logs: LogSink;
  /** Override the ports in the mesh file (tests use free ports). */
  readonly xdsPort?: number;
  readonly monitoringPort?: number;
}

export class MeshRunner {
  readonly spec: MeshSpec;
  readonly store = new MemoryConfigStore();
  readonly registry = new MemoryRegistry('Local');
  readonly runners: WorkloadRunner[] = [];
  private readonly logs: LogSink;
  private readonly options: MeshRunnerOptions;
  private controlPlane: ControlPlane | undefined;
  private serviceEntries: ServiceEntryRegistry | undefined;
  xdsPort = 0;
  monitoringPort = 0;

  constructor(spec: MeshSpec, options: MeshRunnerOptions) {
    this.spec = spec;
    this.options = options;
    this.logs = options.logs;
  }

  get control(): ControlPlane {
    if (!this.controlPlane) throw new Error('the mesh is not up');
    return this.controlPlane;
  }

  /** Loads config, starts the control plane, then every workload; resolves when all are up (or failed). */
  async up(): Promise<void> {
    const loaded = loadPaths(this.spec.config);
    for (const d of loaded.diagnostics) if (d.level !== 'info') this.logs.line('config', formatDiagnostic(d), 'stderr');
    const errors = loaded.diagnostics.filter((d) => d.level === 'error');
    if (errors.length > 0) throw new Error(`${errors.length} config error(s); the mesh was not started`);
    this.store.apply(loaded.resources.map((r) => r.resource));
    this.registry.batch(() => {
      for (const service of this.spec.services) this.registry.addService(toService(service));
      for (const resource of this.store.list(KIND.Service)) this.addKubernetesService(resource);
    });
    // Kubernetes Services in config (e.g. `skein apply -f bookinfo-versions.yaml`) become mesh services.
    this.store.subscribe((batch) => this.onConfigBatch(batch));
    this.serviceEntries = new ServiceEntryRegistry(this.store);
    const controlPlane = new ControlPlane({
      store: this.store,
      registries: [this.registry, this.serviceEntries],
      log: (message) => this.logs.line('control', message, 'stderr'),
    });
    this.controlPlane = controlPlane;
    const ports = await controlPlane.listen({
      xdsPort: this.options.xdsPort ?? this.spec.xdsPort,
      monitoringPort: this.options.monitoringPort ?? this.spec.apiPort,
    });
    this.xdsPort = ports.xdsPort;
    this.monitoringPort = ports.monitoringPort;
    this.logs.line('control', `xDS on 127.0.0.1:${ports.xdsPort}, API and metrics on 127.0.0.1:${ports.monitoringPort}`, 'stdout');

    this.spec.workloads.forEach((workload, index) => this.runners.push(this.runnerFor(workload, index)));
    await Promise.all(this.runners.map((runner) => runner.start()));
  }

  private onConfigBatch(batch: ConfigChangeBatch): void {
    const services = batch.changes.filter((c) => sameType(c.type, KIND.Service));
    if (services.length === 0) return;
    this.registry.batch(() => {
      for (const change of services) {
        if (change.event === 'delete') this.registry.removeService(kubernetesHostname(change.resource.name, change.resource.namespace), change.resource.namespace);
        else this.addKubernetesService(change.resource);
      }
    });
  }

  private addKubernetesService(resource: ConfigResource): void {
    const service = serviceFromKubernetes(resource);
    if (typeof service === 'string') this.logs.line('config', service, 'stderr');
    else this.registry.addService(service);
  }

  /** Stops every workload (each: deregister, app, then sidecar drain) and then the control plane. */
  async down(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
    await this.controlPlane?.stop();
    this.serviceEntries?.close();
  }

  /** Kills every child at once: for when the runtime itself is going away abruptly. */
  kill(): void {
    for (const runner of this.runners) runner.kill();
  }

  private runnerFor(spec: WorkloadSpec, index: number): WorkloadRunner {
    const address = spec.address ?? workloadAddress(index);
    const appPorts = new Map(spec.ports.map((p) => [p.port, appPortFor(p.port)] as const));
    const state: RunningWorkload = {
      spec,
      address,
      adminPort: SIDECAR_ADMIN_PORT,
      appAddress: address,
      appPorts,
      phase: 'Pending',
      restarts: 0,
    };
    const pod = podName(this.spec.name, spec.name);
    return new WorkloadRunner(
      state,
      {
        register: (w) => this.registry.addWorkload(toWorkload(w, pod)),
        deregister: (w) => this.registry.removeWorkload(w.spec.namespace, pod),
        sidecar: (w) => new ManagedProcess(`${spec.name}/proxy`, this.proxyProcess(w, pod), this.logs),
        app: (w) => new ManagedProcess(spec.name, this.appProcess(w, pod), this.logs),
        phase: (w) => this.logs.line(spec.name, `phase ${w.phase}`, 'stdout'),
      },
      this.logs,
    );
  }

  private proxyProcess(w: RunningWorkload, pod: string) {
    const spec = w.spec;
    const type = spec.kind === 'gateway' ? 'router' : 'sidecar';
    const metadata =
      spec.kind === 'gateway'
        ? []
        : [
            `HTTP_PROXY_PORT=${SIDECAR_HTTP_PROXY_PORT}`,
            `SKEIN_APP_ADDRESS=${w.appAddress}`,
            `SKEIN_APP_PORTS=${[...w.appPorts].map(([service, app]) => `${service}:${app}`).join(',')}`,
          ];
    const labels = Object.entries(spec.labels).map(([k, v]) => `${k}=${v}`).join(',');
    const command = [
      process.execPath,
      SKEIN_BIN,
      'proxy',
      '--xds', `127.0.0.1:${this.xdsPort}`,
      '--node-id', proxyNodeId(type, w.address, pod, spec.namespace),
      '--namespace', spec.namespace,
      '--instance-ips', w.address,
      '--service-account', spec.serviceAccount,
      '--admin-address', w.address,
      '--admin-port', String(w.adminPort),
      '--drain-time-s', '5',
      ...(labels ? ['--labels', labels] : []),
      ...(metadata.length > 0 ? ['--metadata', metadata.join(',')] : []),
    ];
    return { command, env: {}, cwd: path.dirname(this.spec.file) };
  }

  private appProcess(w: RunningWorkload, pod: string) {
    const first = w.spec.ports[0];
    const proxy = `http://${w.address}:${SIDECAR_HTTP_PROXY_PORT}`;
    // `node` means this Node.js, whatever PATH says (npm scripts, nvm shells).
    const [file, ...args] = w.spec.command;
    return {
      command: file === 'node' ? [process.execPath, ...args] : w.spec.command,
      env: {
        HOST: w.appAddress,
        PORT: String(first ? (w.appPorts.get(first.port) ?? first.port) : 0),
        HOSTNAME: pod,
        POD_NAME: pod,
        POD_NAMESPACE: w.spec.namespace,
        INSTANCE_IP: w.address,
        HTTP_PROXY: proxy,
        http_proxy: proxy,
        NO_PROXY: '',
        no_proxy: '',
        ...w.spec.env,
      },
      cwd: path.dirname(this.spec.file),
    };
  }
}

function toService(spec: ServiceSpec): Service {
  return {
    hostname: kubernetesHostname(spec.name, spec.namespace),
    name: spec.name,
    namespace: spec.namespace,
    ports: spec.ports.map((p) => ({ name: p.name, port: p.port, protocol: protocolFromPortName(p.port, p.name, p.appProtocol) })),
    addresses: [],
    labels: { app: spec.name },
    selector: spec.selector,
    exportTo: [],
    resolution: 'STATIC',
    location: 'MESH_INTERNAL',
    registry: 'Local',
  };
}

/** The workload as the registry sees it: its IP, and each named port at the sidecar's inbound port. */
function toWorkload(w: RunningWorkload, pod: string): Workload {
  return {
    name: pod,
    namespace: w.spec.namespace,
    address: w.address,
    ports: Object.fromEntries(w.spec.ports.map((p) => [p.name, p.port])),
    labels: w.spec.labels,
    serviceAccount: w.spec.serviceAccount,
    locality: EMPTY_LOCALITY,
    health: 'HEALTHY',
    weight: 1,
    network: '',
  };
}
