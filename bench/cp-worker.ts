/**
 * One measurement of the control-plane benchmark, in its own process (so its memory figures are
 * its own): `node dist/bench/cp-worker.js '<RunConfig JSON>'` prints one JSON line, the
 * `WorkerResult` or `{"error": …}`.
 *
 * The real control plane runs here — `MemoryConfigStore` fed by the real config loader
 * (`parseConfig`), a `MemoryRegistry`, `ControlPlane` (snapshot → translation → XdsServer) with
 * istiod's defaults (debounce 100 ms / 10 s, 100 pushes in flight) on a free port — and the
 * simulated sidecars run in child processes. Four instance-level wrappers observe it without
 * changing what it does: `ControlPlane.generate` (translation time, which proxies a push has
 * reached, when the change entered the debounce), the encoder's `encode` (encoding time), and
 * the observe calls of `pilot_debounce_time` (when a push leaves the debounce) and
 * `skein_proxy_ack_convergence_time` (the moment each proxy's ACK of the push arrives).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseConfig } from '../src/config/parse.js';
import { MemoryConfigStore } from '../src/config/store/memory-store.js';
import { ControlPlane } from '../src/control/control-plane.js';
import { MemoryRegistry } from '../src/registry/memory-registry.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from '../src/xds/type-urls.js';
import { buildMesh, type BenchMesh, pod, podIp, simProxies, virtualServiceYaml } from './cp-mesh.js';
import type { BytesWindow, ChangeSample, PhaseCost, RunConfig, WorkerResult } from './cp-results.js';
import { killSimProcesses, SimProcess } from './cp-sim-process.js';
import { splitEvenly } from './cp-stats.js';
import type { ClientReport } from './xds-sim-clients.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const TYPES = [CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL];
const POLL_MS = 10;

function log(line: string): void {
  process.stderr.write(`[cp-bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function cpuSeconds(): number {
  const cpu = process.cpuUsage();
  return (cpu.user + cpu.system) / 1e6;
}

/** What the wrappers record during one phase. */
class Probe {
  t0 = Infinity;
  /** Connection id → type URLs generated for a push that started in this phase. */
  readonly reached = new Map<string, Set<string>>();
  generateMs = 0;
  encodeMs = 0;
  /** When the change entered the debounce (after the control plane rebuilt its snapshot). */
  requestStart: number | undefined;
  flushAt: number | undefined;
  lastAckAt = 0;
  convergenceMs: number[] = [];

  reset(t0: number): void {
    this.t0 = t0;
    this.reached.clear();
    this.generateMs = 0;
    this.encodeMs = 0;
    this.requestStart = undefined;
    this.flushAt = undefined;
    this.lastAckAt = 0;
    this.convergenceMs = [];
  }
}

function instrument(control: ControlPlane, probe: Probe, counters: { nacks: number; internalErrors: number }): void {
  const generate = control.generate.bind(control);
  control.generate = (proxy, typeUrl, request, watched) => {
    const start = performance.now();
    try {
      return generate(proxy, typeUrl, request, watched);
    } finally {
      probe.generateMs += performance.now() - start;
      // Pushes carry the debounce's start time; a proxy's own requests do not.
      if (request.start !== undefined && request.start >= probe.t0) {
        probe.requestStart ??= request.start;
        const types = probe.reached.get(proxy.connectionId) ?? new Set<string>();
        types.add(typeUrl);
        probe.reached.set(proxy.connectionId, types);
      }
    }
  };
  const encoder = control.xds.encoder;
  const encode = encoder.encode.bind(encoder);
  encoder.encode = (typeUrl, resource) => {
    const start = performance.now();
    try {
      return encode(typeUrl, resource);
    } finally {
      probe.encodeMs += performance.now() - start;
    }
  };
  const metrics = control.xds.metrics;
  const debounced = metrics.debounceTime.observe.bind(metrics.debounceTime);
  metrics.debounceTime.observe = (value, labels) => {
    probe.flushAt = performance.now();
    debounced(value, labels);
  };
  const acked = metrics.ackConvergenceTime.observe.bind(metrics.ackConvergenceTime);
  metrics.ackConvergenceTime.observe = (value, labels) => {
    // Observed as the ACK arrives; timed from the change itself, not from the debounce entry
    // the metric starts at, so the snapshot rebuild before the debounce is included.
    probe.lastAckAt = performance.now();
    probe.convergenceMs.push(probe.lastAckAt - probe.t0);
    acked(value, labels);
  };
  const rejects = metrics.rejects.inc.bind(metrics.rejects);
  metrics.rejects.inc = (labels, by) => {
    counters.nacks += by ?? 1;
    rejects(labels, by);
  };
  const internal = metrics.internalErrors.inc.bind(metrics.internalErrors);
  metrics.internalErrors.inc = (labels, by) => {
    counters.internalErrors += by ?? 1;
    internal(labels, by);
  };
}

async function waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`${what} did not finish within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(POLL_MS);
  }
}

function bytesWindow(reports: readonly ClientReport[]): BytesWindow {
  const bytes = reports.flatMap((r) => r.bytes);
  const receiving = bytes.filter((b) => b > 0);
  const sum = (key: 'cds' | 'eds' | 'lds' | 'rds') => reports.reduce((a, r) => a + r.byType[key], 0);
  return {
    perReceivingProxy: receiving.length === 0 ? 0 : receiving.reduce((a, b) => a + b, 0) / receiving.length,
    receivingProxies: receiving.length,
    byType: { cds: sum('cds'), eds: sum('eds'), lds: sum('lds'), rds: sum('rds') },
    responses: reports.reduce((a, r) => a + r.responses, 0),
  };
}

async function run(config: RunConfig): Promise<WorkerResult> {
  const mesh: BenchMesh = buildMesh(config);
  const specs = simProxies(mesh, config.proxies);
  const counters = { nacks: 0, internalErrors: 0 };

  let start = performance.now();
  const parsed = parseConfig(mesh.configYaml, 'bench-mesh.yaml');
  const errors = parsed.diagnostics.filter((d) => d.level === 'error');
  if (errors.length > 0) throw new Error(`the benchmark's own config does not load: ${errors[0]!.message}`);
  const parseMs = performance.now() - start;
  const store = new MemoryConfigStore();
  store.apply(parsed.resources.map((r) => r.resource));
  start = performance.now();
  const registry = new MemoryRegistry('Kubernetes');
  registry.batch(() => {
    for (const service of mesh.registryServices) registry.addService(service);
    for (const workload of mesh.workloads) registry.addWorkload(workload);
  });
  const registryMs = performance.now() - start;

  const control = new ControlPlane({
    store,
    registries: [registry],
    log: (message) => {
      if (/error|fail|invalid|cannot|NACK|rejected/i.test(message)) process.stderr.write(`control plane: ${message}\n`);
    },
  });
  const probe = new Probe();
  instrument(control, probe, counters);
  const { xdsPort } = await control.listen({ xdsPort: 0, monitoringPort: 0 });
  const sims = splitEvenly(specs.length, config.clientProcesses).map(([from, to], i) => ({
    process: SimProcess.start(`sim-clients-${i}`),
    proxies: specs.slice(from, to),
  }));
  const ask = <T>(command: object, answer: string, timeoutMs?: number) =>
    Promise.all(sims.map((s) => s.process.ask<T>(command, answer, timeoutMs)));
  const clientCpu = (events: readonly { cpuMicros: number }[]) => events.reduce((a, e) => a + e.cpuMicros, 0) / 1e6;

  try {
    await Promise.all(
      sims.map((s) => s.process.ask({ cmd: 'init', port: xdsPort, protocol: config.protocol, proxies: s.proxies }, 'loaded', 60_000)),
    );
    log(`${config.proxies} proxies (${config.protocol}): initial sync`);
    const allSynced = () => {
      const connections = control.xds.connections();
      return (
        connections.length === config.proxies &&
        connections.every((c) => TYPES.every((t) => c.watched.get(t)?.state === 'SYNCED'))
      );
    };
    const clientCpu0 = clientCpu(await ask<{ cpuMicros: number }>({ cmd: 'mark' }, 'marked'));
    const cpu0 = cpuSeconds();
    const t0 = performance.now();
    probe.reset(t0);
    const ready = Promise.all(sims.map((s) => s.process.next('ready', 60_000 + config.proxies * 100)));
    for (const s of sims) s.process.send({ cmd: 'go' });
    await ready;
    await waitFor(allSynced, 30_000, 'the initial sync (server side)');
    const initialWall = performance.now() - t0;
    const initialCpu = cpuSeconds() - cpu0;
    const initialReports = await ask<ClientReport>({ cmd: 'report' }, 'report');
    const initialCost: PhaseCost = {
      wallMs: initialWall,
      cpuSeconds: initialCpu,
      generateMs: probe.generateMs,
      encodeMs: probe.encodeMs,
      clientCpuSeconds: clientCpu(initialReports) - clientCpu0,
      bytes: bytesWindow(initialReports),
    };
    gc();
    gc();
    const memory = process.memoryUsage();
    const connections = control.xds.connections();
    const meanHeld = (type: string) =>
      connections.reduce((a, c) => a + (c.watched.get(type)?.held.size ?? 0), 0) / connections.length;
    const resourcesPerProxy = {
      cds: meanHeld(CLUSTER_TYPE_URL),
      eds: meanHeld(ENDPOINT_TYPE_URL),
      lds: meanHeld(LISTENER_TYPE_URL),
      rds: meanHeld(ROUTE_TYPE_URL),
    };
    log(`${config.proxies} proxies (${config.protocol}): synced in ${Math.round(initialWall)} ms, RSS ${Math.round(memory.rss / 2 ** 20)} MiB`);

    const shared = mesh.services.filter((s) => s.namespace === 'shared');
    const weights = new Map<string, number>();
    const measureChange = async (full: boolean, apply: () => void): Promise<ChangeSample> => {
      await sleep(200); // let the previous phase's last writes and GC settle
      const clientBefore = clientCpu(await ask<{ cpuMicros: number }>({ cmd: 'mark' }, 'marked'));
      const cpuBefore = cpuSeconds();
      const changeAt = performance.now();
      probe.reset(changeAt);
      apply();
      await waitFor(
        () => {
          const live = control.xds.connections();
          if (live.length !== config.proxies) throw new Error(`${config.proxies - live.length} proxies disconnected`);
          return live.every((c) => {
            const expected = full ? c.watched.size : c.watched.has(ENDPOINT_TYPE_URL) ? 1 : 0;
            if ((probe.reached.get(c.proxy!.connectionId)?.size ?? 0) < expected) return false;
            for (const w of c.watched.values()) if (w.state !== 'SYNCED') return false;
            return true;
          });
        },
        60_000 + config.proxies * 50,
        full ? 'a config change push' : 'an endpoint change push',
      );
      const wallMs = performance.now() - changeAt;
      const cpu = cpuSeconds() - cpuBefore;
      const reports = await ask<ClientReport>({ cmd: 'report' }, 'report');
      const flushAt = probe.flushAt ?? changeAt;
      const requestStart = probe.requestStart ?? changeAt;
      return {
        wallMs,
        cpuSeconds: cpu,
        generateMs: probe.generateMs,
        encodeMs: probe.encodeMs,
        clientCpuSeconds: clientCpu(reports) - clientBefore,
        bytes: bytesWindow(reports),
        pushed: probe.convergenceMs.length,
        snapshotMs: requestStart - changeAt,
        debounceMs: flushAt - requestStart,
        pushToLastAckMs: probe.convergenceMs.length > 0 ? probe.lastAckAt - flushAt : 0,
        convergenceMs: [...probe.convergenceMs],
      };
    };

    const endpoint: ChangeSample[] = [];
    for (let r = 0; r < config.changes; r++) {
      const service = shared[r % shared.length]!;
      endpoint.push(await measureChange(false, () => registry.addWorkload(pod(service, 'v1', `extra-${r}`, podIp(mesh.nextPodNumber + r)))));
      log(`${config.proxies} proxies (${config.protocol}): endpoint change ${r + 1}/${config.changes}: ${endpoint.at(-1)!.pushed} pushed, last ACK after ${Math.round(endpoint.at(-1)!.wallMs)} ms`);
    }
    const configChanges: ChangeSample[] = [];
    for (let r = 0; r < config.changes; r++) {
      const service = shared[r % shared.length]!;
      const weight = weights.get(service.name) === 50 ? 80 : 50;
      weights.set(service.name, weight);
      const change = parseConfig(virtualServiceYaml(service, weight), `bench-change-${r}.yaml`);
      const changeErrors = change.diagnostics.filter((d) => d.level === 'error');
      if (changeErrors.length > 0) throw new Error(`the benchmark's VirtualService change does not load: ${changeErrors[0]!.message}`);
      configChanges.push(await measureChange(true, () => store.apply(change.resources.map((x) => x.resource))));
      log(`${config.proxies} proxies (${config.protocol}): config change ${r + 1}/${config.changes}: ${configChanges.at(-1)!.pushed} pushed, last ACK after ${Math.round(configChanges.at(-1)!.wallMs)} ms`);
    }
    const finalReports = await ask<ClientReport>({ cmd: 'report' }, 'report');
    const proxiesPerNamespace: Record<string, number> = {};
    for (const spec of specs) {
      const ns = String(spec.metadata.NAMESPACE);
      proxiesPerNamespace[ns] = (proxiesPerNamespace[ns] ?? 0) + 1;
    }
    return {
      config,
      setup: { parseMs, configResources: parsed.resources.length, registryMs, workloads: mesh.workloads.length, proxiesPerNamespace },
      resourcesPerProxy,
      initial: {
        ...initialCost,
        memoryAfterGc: {
          rss: memory.rss,
          heapUsed: memory.heapUsed,
          heapTotal: memory.heapTotal,
          external: memory.external,
          arrayBuffers: memory.arrayBuffers,
        },
      },
      endpoint,
      configChange: configChanges,
      peakRss: process.resourceUsage().maxRSS * 1024,
      clientRss: finalReports.map((r) => r.rss),
      nacks: counters.nacks,
      internalErrors: counters.internalErrors,
      streamErrors: finalReports.reduce((a, r) => a + r.streamErrors, 0),
    };
  } finally {
    await Promise.all(sims.map((s) => s.process.stop()));
    await control.stop();
  }
}

process.on('exit', killSimProcesses);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => process.exit(130));
// The benchmark holds our stdin open: when it dies, however it dies, so do we (and our children).
process.stdin.on('end', () => process.exit(130));
process.stdin.resume();

/** Writes to a pipe are asynchronous: exit only once the line is out. */
function answer(value: object, code: number): void {
  process.stdout.write(`${JSON.stringify(value)}\n`, () => process.exit(code));
}

try {
  answer(await run(JSON.parse(process.argv[2] ?? '') as RunConfig), 0);
} catch (err) {
  answer({ error: (err as Error).message }, 1);
}
