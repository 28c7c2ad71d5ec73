/**
 * `skein control`: the control plane (istiod's discovery role) over a directory of Istio /
 * Gateway API YAML. The directory is watched: a changed file is validated and applied whole,
 * or rejected with its errors (file:line) while its last accepted version stays in effect.
 * Services come from ServiceEntries, from Kubernetes `Service` objects in the directory, and
 * from the registry file, which also declares the workloads behind them.
 */
import { existsSync, type FSWatcher, readFileSync, statSync, watch } from 'node:fs';
import path from 'node:path';
import { type Diagnostic, formatDiagnostic } from '../../config/diagnostic.js';
import { DirectoryConfigStore } from '../../config/store/directory-store.js';
import { ControlPlane } from '../../control/control-plane.js';
import { ServiceEntryRegistry } from '../../registry/service-entry-registry.js';
import { LocalRegistry } from '../local-registry.js';
import { parseRegistryFile } from '../registry-file.js';
import type { SkeinCommand } from './command.js';

interface ControlOptions {
  configDir: string;
  registryFile?: string;
  xdsPort: string;
  monitoringPort: string;
  address: string;
  namespace: string;
}

const REGISTRY_FILE_HELP = `
Registry file (--registry-file): services and the workloads behind them, as a YAML list.
Workloads listed under a service must carry its selector's labels; workloads alone are
selected by the Kubernetes Services of --config-dir. The file is watched like the directory.

  - service:
      name: reviews                # reviews.default.svc.cluster.local
      namespace: default           # default: default
      ports:                       # protocol from the name prefix or appProtocol, as Istio
      - {name: http, port: 9080}   # targetPort: where workloads listen, if not the port
      selector: {app: reviews}     # default: {app: <name>}
    workloads:
    - name: reviews-v1
      address: 127.0.10.3
      labels: {app: reviews, version: v1}
      ports: {http: 19080}         # by service port name; default targetPort, else the port
      serviceAccount: reviews      # optional
  - workloads:
    - {name: ratings-v1, address: 127.0.10.4, labels: {app: ratings, version: v1}}
`;

export const controlCommand: SkeinCommand = {
  name: 'control',
  kind: 'role',
  summary: 'run the control plane: Istio YAML from a watched directory → xDS over ADS',
  register(program) {
    program
      .command(this.name)
      .description(`${this.summary}; SIGTERM stops it`)
      .requiredOption('--config-dir <dir>', 'Istio / Gateway API YAML and Kubernetes Services (read recursively, watched)')
      .option('--registry-file <file>', 'services and workloads to serve (format below; watched)')
      .option('--xds-port <port>', 'ADS gRPC port (plaintext, as istiod)', '15010')
      .option('--monitoring-port <port>', 'HTTP port for /metrics, /debug/syncz, /debug/config_dump', '15014')
      .option('--address <ip>', 'address both ports listen on', '127.0.0.1')
      .option('-n, --namespace <namespace>', 'namespace of resources that name none', 'default')
      .addHelpText('after', REGISTRY_FILE_HELP)
      .action(async (options: ControlOptions) => {
        process.exitCode = await runControl(options);
      });
  },
};

const say = (message: string): void => {
  process.stdout.write(`skein control: ${message}\n`);
};
const complain = (message: string): void => {
  process.stderr.write(`skein control: ${message}\n`);
};

function port(value: string, flag: string): number | undefined {
  const n = Number(value);
  if (Number.isInteger(n) && n >= 0 && n < 65536) return n;
  complain(`${flag} ${value}: not a port number`);
  return undefined;
}

/** Prints a config file's diagnostics (errors and warnings; notes about ignored kinds are not news). */
function reportFile(file: string, diagnostics: readonly Diagnostic[], started: boolean): void {
  const shown = diagnostics.filter((d) => d.level !== 'info');
  for (const d of shown) process.stderr.write(`${formatDiagnostic(d)}\n`);
  if (shown.some((d) => d.level === 'error')) complain(`${file}: rejected; its last accepted version (if any) stays in effect`);
  else if (started) say(`${file}: ${existsSync(file) ? 'applied' : 'removed'}`);
}

/** Watches the registry file (through its directory, so editors' rename-and-replace is seen); debounced. */
function watchFile(file: string, onChange: () => void): FSWatcher {
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(path.dirname(file), (_event, name) => {
    if (name !== null && name.toString() !== path.basename(file)) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, 100);
  });
  watcher.on('close', () => clearTimeout(timer));
  return watcher;
}

async function runControl(options: ControlOptions): Promise<number> {
  const xdsPort = port(options.xdsPort, '--xds-port');
  const monitoringPort = port(options.monitoringPort, '--monitoring-port');
  if (xdsPort === undefined || monitoringPort === undefined) return 1;
  const configDir = path.resolve(options.configDir);
  if (!existsSync(configDir) || !statSync(configDir).isDirectory()) {
    complain(`--config-dir ${options.configDir}: not a directory`);
    return 1;
  }
  const registryFile = options.registryFile === undefined ? undefined : path.resolve(options.registryFile);
  if (registryFile !== undefined && !existsSync(registryFile)) {
    complain(`--registry-file ${options.registryFile}: no such file`);
    return 1;
  }

  let started = false;
  const store = DirectoryConfigStore.open(configDir, {
    defaultNamespace: options.namespace,
    onDiagnostics: (file, diagnostics) => reportFile(file, diagnostics, started),
  });
  const local = new LocalRegistry(store, complain);
  let accepted = false;
  const loadRegistryFile = (): void => {
    if (!registryFile) return;
    let text: string;
    try {
      text = readFileSync(registryFile, 'utf8');
    } catch (err) {
      complain(`${registryFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; ${accepted ? 'its last accepted version stays in effect' : 'nothing from it is served'}`);
      return;
    }
    const parsed = parseRegistryFile(text, registryFile);
    if (!parsed.ok) {
      for (const problem of parsed.problems) process.stderr.write(`${problem}\n`);
      complain(`${registryFile}: rejected; ${accepted ? 'its last accepted version stays in effect' : 'nothing from it is served until it is fixed'}`);
      return;
    }
    local.setFile(parsed.contents);
    accepted = true;
    if (started) say(`${registryFile}: applied`);
  };
  loadRegistryFile();
  const registryWatcher = registryFile ? watchFile(registryFile, loadRegistryFile) : undefined;
  const serviceEntries = new ServiceEntryRegistry(store);
  const control = new ControlPlane({ store, registries: [local.registry, serviceEntries], log: complain });

  const stopping = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const shutdown = async (): Promise<void> => {
    registryWatcher?.close();
    store.close();
    await control.stop();
    serviceEntries.close();
    local.close();
  };
  try {
    const ports = await control.listen({ xdsPort, xdsHost: options.address, monitoringPort, monitoringHost: options.address });
    say(`xDS (ADS) on ${options.address}:${ports.xdsPort}; /metrics and /debug/syncz on http://${options.address}:${ports.monitoringPort}`);
  } catch (err) {
    complain(`cannot listen: ${(err as Error).message}`);
    await shutdown();
    return 1;
  }
  started = true;
  const services = local.registry.services().length + serviceEntries.services().length;
  say(`watching ${configDir} (${store.snapshot().all().length} resources, ${services} services)${registryFile ? ` and ${registryFile}` : ''}`);
  const signal = await stopping;
  say(`${signal}: stopping`);
  await shutdown();
  return 0;
}
