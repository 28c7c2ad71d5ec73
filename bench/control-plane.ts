/**
 * `npm run bench:control-plane [-- --services=1000 --proxies=10,1000,2000 …]`: Skein's real
 * control plane (config loader → snapshot → translation → ADS) against simulated Envoy
 * sidecars, for issue 5's targets: push convergence, control-plane memory and CPU, bytes per
 * proxy, SotW and delta.
 *
 * Each (proxy count, protocol) runs in its own process (cp-worker.ts), in its own process
 * group with its simulated proxies, one after the other; the report is written to
 * bench/results/<date>-control-plane.md (+ .raw.json, gitignored). A run that fails or
 * overruns is reported as "not run: <reason>" and the others still run. Children are killed on
 * exit, error and Ctrl-C (cleanup.ts).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCleanupHandlers, signalGroup, trackGroup, untrackGroup } from './cleanup.js';
import { buildMesh, type Isolation, maxProxies } from './cp-mesh.js';
import { renderControlPlaneReport } from './cp-report.js';
import type { ControlPlaneBenchRun, RunConfig, RunOutcome, WorkerResult, XdsProtocol } from './cp-results.js';
import { startForeignLoadWindow } from './foreign-load.js';
import { collectMachineFacts } from './machine.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(here, '../..');
/** A run that takes longer than this is killed and reported as not run. */
const RUN_TIMEOUT_MS = 15 * 60_000;

const DEFAULTS = { services: 1000, namespaces: 10, proxies: [10, 1000, 2000], protocols: ['sotw', 'delta'] as XdsProtocol[] };

const USAGE = `usage: node dist/bench/control-plane.js [options]
  --services=1000          services in the mesh (2 % in namespace "shared", the rest over --namespaces)
  --namespaces=10          application namespaces
  --proxies=10,1000,2000   simulated sidecars, one run per count (at most 4 × services)
  --protocols=sotw,delta   ADS variants to measure
  --changes=N              changes of each kind per run (default 5, and 1 at 1,000+ proxies,
                           where one change already yields 1,000+ samples)
  --client-processes=N     processes the simulated proxies are split over (default 1, 2 at 1,000+)
  --isolation=namespace    a Sidecar per namespace (./* + shared/*), as Istio's load test; "none": every
                           proxy sees every service (config ~10× larger)
  --heap-mb=12288          --max-old-space-size of the control-plane process (Node's default, ~4 GiB here,
                           is too small for 2,000 proxies)
`;

interface Options {
  services: number;
  namespaces: number;
  proxies: number[];
  protocols: XdsProtocol[];
  changes: number | undefined;
  clientProcesses: number | undefined;
  isolation: Isolation;
  heapMb: number;
}

function positive(arg: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${arg}: want a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    ...DEFAULTS,
    proxies: [...DEFAULTS.proxies],
    protocols: [...DEFAULTS.protocols],
    changes: undefined,
    clientProcesses: undefined,
    isolation: 'namespace',
    heapMb: 12288,
  };
  for (const arg of argv) {
    const [name, value = ''] = arg.split('=', 2) as [string, string?];
    switch (name) {
      case '--services':
        options.services = positive(name, value);
        break;
      case '--namespaces':
        options.namespaces = positive(name, value);
        break;
      case '--proxies':
        options.proxies = value.split(',').map((v) => positive(name, v)).sort((a, b) => a - b);
        break;
      case '--protocols':
        options.protocols = value.split(',').map((v) => {
          if (v !== 'sotw' && v !== 'delta') throw new Error(`--protocols: unknown ${JSON.stringify(v)} (sotw, delta)`);
          return v;
        });
        break;
      case '--changes':
        options.changes = positive(name, value);
        break;
      case '--client-processes':
        options.clientProcesses = positive(name, value);
        break;
      case '--isolation':
        if (value !== 'namespace' && value !== 'none') throw new Error('--isolation: namespace or none');
        options.isolation = value;
        break;
      case '--heap-mb':
        options.heapMb = positive(name, value);
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  return options;
}

function log(line: string): void {
  process.stderr.write(`[cp-bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Runs one measurement in its own process group; resolves with its result or the reason it has none. */
function runWorker(config: RunConfig): Promise<RunOutcome> {
  const foreign = startForeignLoadWindow([]);
  const started = Date.now();
  return new Promise((resolve) => {
    const args = [`--max-old-space-size=${config.heapMb}`, path.join(here, 'cp-worker.js'), JSON.stringify(config)];
    const child = spawn(process.execPath, args, {
      detached: true,
      // Its stdin stays open while we live: the worker exits when it closes.
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const pid = child.pid!;
    trackGroup(pid);
    let stdout = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      stdout += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signalGroup(pid, 'SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // The worker's simulated proxies are in its group: make sure none outlives it.
      signalGroup(pid, 'SIGKILL');
      untrackGroup(pid);
      const base = { config, foreignLoad: foreign(), wallSeconds: (Date.now() - started) / 1000 };
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let parsed: Partial<WorkerResult> & { error?: string } = {};
      try {
        parsed = JSON.parse(last) as typeof parsed;
      } catch {
        // no result line: reported below
      }
      if (timedOut) resolve({ ...base, error: `killed after ${RUN_TIMEOUT_MS / 60_000} min` });
      else if (parsed.error) resolve({ ...base, error: parsed.error });
      else if (code === 0 && parsed.config) resolve({ ...base, result: parsed as WorkerResult });
      else resolve({ ...base, error: `worker exited with ${code ?? signal} and no result` });
    });
  });
}

function isDefaultSize(options: Options): boolean {
  return (
    options.services === DEFAULTS.services &&
    options.namespaces === DEFAULTS.namespaces &&
    options.proxies.join(',') === DEFAULTS.proxies.join(',') &&
    options.protocols.join(',') === DEFAULTS.protocols.join(',') &&
    options.isolation === 'namespace'
  );
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseArgs(argv);
  installCleanupHandlers();
  const mesh = buildMesh(options);
  const tooMany = options.proxies.filter((p) => p > maxProxies(mesh));
  if (tooMany.length > 0) throw new Error(`--proxies=${tooMany.join(',')}: at most ${maxProxies(mesh)} for ${options.services} services`);
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  const runs: RunOutcome[] = [];
  for (const proxies of options.proxies) {
    for (const protocol of options.protocols) {
      const config: RunConfig = {
        services: options.services,
        namespaces: options.namespaces,
        isolation: options.isolation,
        proxies,
        protocol,
        changes: options.changes ?? (proxies >= 1000 ? 1 : 5),
        clientProcesses: options.clientProcesses ?? (proxies >= 1000 ? 2 : 1),
        heapMb: options.heapMb,
      };
      log(`run: ${proxies} proxies, ${protocol}, ${config.changes} changes per kind, ${config.clientProcesses} client process(es)`);
      const outcome = await runWorker(config);
      if (outcome.error) log(`not run: ${outcome.error}`);
      runs.push(outcome);
    }
  }
  const run: ControlPlaneBenchRun = {
    startedAt,
    wallSeconds: (Date.now() - t0) / 1000,
    command: `npm run bench:control-plane${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    machine: collectMachineFacts(),
    runs,
  };
  const markdown = renderControlPlaneReport(run);
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${startedAt.slice(0, 10)}-control-plane${isDefaultSize(options) ? '' : '-custom'}`);
  writeFileSync(`${base}.md`, markdown);
  writeFileSync(`${base}.raw.json`, `${JSON.stringify(run, null, 2)}\n`);
  process.stdout.write(markdown);
  log(`report: ${path.relative(REPO_ROOT, base)}.md`);
}

await main();
