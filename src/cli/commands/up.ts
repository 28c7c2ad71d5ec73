import type { LogSink } from '../../runtime/managed-process.js';
import { loadMeshFile, MeshFileError } from '../../runtime/mesh-file.js';
import { mountMeshApi } from '../../runtime/mesh-api.js';
import { MeshRunner } from '../../runtime/mesh-runner.js';
import { clearMeshState, writeMeshState } from '../../runtime/mesh-state.js';
import type { SkeinCommand } from './command.js';

interface UpOptions {
  file: string;
  xdsPort?: string;
  apiPort?: string;
}

export const upCommand: SkeinCommand = {
  name: 'up',
  kind: 'role',
  summary: 'run a whole mesh locally: control plane, then every workload with its sidecar (Ctrl-C stops it)',
  register(program) {
    program
      .command(this.name)
      .description(this.summary)
      .requiredOption('-f, --file <mesh.yaml>', 'the mesh file (workloads, services, Istio config)')
      .option('--xds-port <port>', 'override spec.controlPlane.xdsPort')
      .option('--api-port <port>', 'override spec.controlPlane.apiPort')
      .action(async (options: UpOptions) => {
        process.exitCode = await runUp(options);
      });
  },
};

/** `[name]` prefixes padded to one width, so interleaved logs stay readable. */
function consoleSink(): LogSink {
  return {
    line(prefix, text, stream) {
      const out = stream === 'stderr' ? process.stderr : process.stdout;
      out.write(`[${prefix.padEnd(24)}] ${text}\n`);
    },
  };
}

async function runUp(options: UpOptions): Promise<number> {
  let spec;
  try {
    spec = loadMeshFile(options.file);
  } catch (err) {
    const problems = err instanceof MeshFileError ? err.problems : [(err as Error).message];
    for (const problem of problems) process.stderr.write(`skein up: ${problem}\n`);
    return 1;
  }
  const runner = new MeshRunner(spec, {
    logs: consoleSink(),
    ...(options.xdsPort ? { xdsPort: Number(options.xdsPort) } : {}),
    ...(options.apiPort ? { monitoringPort: Number(options.apiPort) } : {}),
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.stdout.write('skein up: stopping: apps first, then their sidecars drain\n');
      await runner.down();
      clearMeshState(process.pid);
    })();
    return stopping;
  };
  const done = new Promise<void>((resolve) => {
    const onSignal = () => {
      if (stopping) {
        runner.kill(); // a second Ctrl-C: no more waiting
        process.exit(130);
      }
      void stop().then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    void runner.up().then(
      () => {
        mountMeshApi(runner, () => void stop().then(resolve));
        writeMeshState({ name: spec.name, pid: process.pid, api: `127.0.0.1:${runner.monitoringPort}`, file: spec.file });
        printReady(runner);
      },
      (err: Error) => {
        process.stderr.write(`skein up: ${err.message}\n`);
        void stop().then(() => {
          process.exitCode = 1;
          resolve();
        });
      },
    );
  });
  process.on('exit', () => runner.kill());
  await done;
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

function printReady(runner: MeshRunner): void {
  const failed = runner.runners.filter((r) => r.state.phase === 'Failed').map((r) => r.name);
  const lines = [
    '',
    `mesh '${runner.spec.name}' is up: ${runner.runners.length} workloads${failed.length ? `, FAILED: ${failed.join(', ')}` : ''}`,
    `  control plane: xDS 127.0.0.1:${runner.xdsPort}, API and metrics http://127.0.0.1:${runner.monitoringPort}/metrics`,
  ];
  const gateways = runner.runners.filter((r) => r.state.spec.kind === 'gateway');
  for (const gateway of gateways) {
    for (const gw of runner.store.snapshot().all().filter((c) => c.kind === 'Gateway' && c.group === 'networking.istio.io')) {
      const servers = (gw.spec as { servers?: { port?: { number?: number } }[] }).servers ?? [];
      for (const server of servers) {
        if (server.port?.number) lines.push(`  ${gateway.name}: http://${gateway.state.address === '127.0.0.1' ? 'localhost' : gateway.state.address}:${server.port.number}/`);
      }
    }
  }
  if (runner.spec.name === 'bookinfo') {
    lines.push(
      '',
      '  open http://localhost:8080/productpage (reload: reviews rotate v1 no stars, v2 black, v3 red)',
      '  try routing:  skein apply -f <istio>/samples/bookinfo/networking/destination-rule-all.yaml',
      '                skein apply -f <istio>/samples/bookinfo/networking/virtual-service-all-v1.yaml',
      '  inspect:      skein get workloads | skein get services | skein proxy-status --control 127.0.0.1:' + runner.monitoringPort,
      '  stop:         Ctrl-C or skein down',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}
