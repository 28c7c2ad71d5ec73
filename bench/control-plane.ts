/**
 * `node dist/bench/control-plane.js [--proxies=10,1000] [--changes=5]`: push convergence and
 * bytes of Skein's xDS server (issue 5's control-plane targets).
 *
 * Method: the xDS server runs in this process with istiod's defaults (debounce 100 ms quiet /
 * 10 s max, 100 concurrent pushes) and a synthetic sidecar config (100 services: 100 clusters,
 * 100 ClusterLoadAssignments × 5 endpoints, one listener, one route config with 100 virtual
 * hosts × 10 header-matched routes). Simulated proxies run in one child process
 * (bench/xds-sim-clients.ts), one gRPC connection and ADS stream each, and ACK at once.
 * A change is made and `pushAll` called at t0; a proxy's convergence is the wall time of its
 * last ACK after t0, so it includes the debounce, the push and the proxy's receive/ACK path.
 * Bytes are gRPC message bytes received per proxy. Each proxy count runs for SotW and delta;
 * every change kind is repeated `--changes` times and percentiles pool all repetitions.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { XdsGenerator, XdsResource } from '../src/control/generator.js';
import type { PushRequest } from '../src/control/push-request.js';
import { XdsServer } from '../src/control/xds-server.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from '../src/xds/type-urls.js';

const SERVICES = 100;
const ENDPOINTS = 5;
const ROUTES_PER_HOST = 10;
const here = path.dirname(fileURLToPath(import.meta.url));
const wallNow = () => performance.timeOrigin + performance.now();

const clusterName = (i: number) => `outbound|9080||svc-${i}.bench.svc.cluster.local`;

/** The synthetic mesh; resources are shared objects, replaced (never mutated) on change. */
class BenchGenerator implements XdsGenerator {
  readonly typeUrls = [CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL];
  clusters: XdsResource[] = [];
  endpoints: XdsResource[] = [];
  listeners: XdsResource[] = [];
  routes: XdsResource[] = [];
  private routeRevision = 0;

  constructor() {
    for (let i = 0; i < SERVICES; i++) {
      const name = clusterName(i);
      this.clusters.push({
        name,
        resource: {
          name,
          type: 'EDS',
          connect_timeout: '10s',
          eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: name },
          circuit_breakers: { thresholds: [{ max_connections: 4294967295, max_requests: 4294967295 }] },
        },
      });
      this.endpoints.push(this.assignment(i, ENDPOINTS));
    }
    this.listeners.push({
      name: '0.0.0.0_9080',
      resource: {
        name: '0.0.0.0_9080',
        address: { socket_address: { address: '0.0.0.0', port_value: 9080 } },
        filter_chains: [
          {
            filters: [
              {
                name: 'envoy.filters.network.http_connection_manager',
                typed_config: {
                  '@type':
                    'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                  stat_prefix: 'outbound_0.0.0.0_9080',
                  rds: { route_config_name: '9080', config_source: { ads: {}, resource_api_version: 'V3' } },
                  http_filters: [
                    {
                      name: 'envoy.filters.http.router',
                      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    });
    this.changeRoutes();
  }

  assignment(service: number, count: number): XdsResource {
    const name = clusterName(service);
    return {
      name,
      resource: {
        cluster_name: name,
        endpoints: [
          {
            locality: { region: 'bench', zone: 'bench-a' },
            lb_endpoints: Array.from({ length: count }, (_, j) => ({
              endpoint: { address: { socket_address: { address: `10.${service}.0.${j + 1}`, port_value: 9080 } } },
              health_status: 'HEALTHY',
              load_balancing_weight: 1,
            })),
          },
        ],
      },
    };
  }

  /** A route change: one route's timeout differs in each revision. */
  changeRoutes(): void {
    const revision = ++this.routeRevision;
    const virtual_hosts = Array.from({ length: SERVICES }, (_, i) => ({
      name: `svc-${i}.bench.svc.cluster.local:9080`,
      domains: [`svc-${i}`, `svc-${i}.bench`, `svc-${i}.bench.svc.cluster.local`, `svc-${i}:9080`],
      routes: Array.from({ length: ROUTES_PER_HOST }, (_, r) => ({
        match: { prefix: `/r${r}`, headers: [{ name: 'x-version', string_match: { exact: `v${r}` } }] },
        route: { cluster: clusterName(i), timeout: i === 0 && r === 0 ? `${revision}s` : '0s' },
      })),
    }));
    this.routes = [{ name: '9080', resource: { name: '9080', virtual_hosts } }];
  }

  generate(_proxy: unknown, typeUrl: string, request: PushRequest): XdsResource[] {
    switch (typeUrl) {
      case CLUSTER_TYPE_URL:
        return this.clusters;
      case ENDPOINT_TYPE_URL:
        return !request.full && request.edsUpdates
          ? this.endpoints.filter((e) => request.edsUpdates!.has(e.name))
          : this.endpoints;
      case LISTENER_TYPE_URL:
        return this.listeners;
      default:
        return this.routes;
    }
  }
}

interface Figures {
  proxies: number;
  protocol: 'sotw' | 'delta';
  initialBytesPerProxy: number;
  route: { convergenceMs: number[]; bytesPerProxy: number };
  endpoint: { convergenceMs: number[]; bytesPerProxy: number };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function measure(proxies: number, protocol: 'sotw' | 'delta', changes: number, namesFile: string): Promise<Figures> {
  const generator = new BenchGenerator();
  const server = new XdsServer({ generator, log: { info() {}, warn: (m) => process.stderr.write(`${m}\n`) } });
  const port = await server.listen(0, '127.0.0.1');
  const child = spawn(process.execPath, [path.join(here, 'xds-sim-clients.js'), String(port), String(proxies), protocol, namesFile], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const nextLine = () => new Promise<string>((resolve) => waiting.push(resolve));
  const ask = async (command: string) => {
    const reply = nextLine();
    child.stdin!.write(`${command}\n`);
    return reply;
  };
  try {
    if ((await nextLine()) !== 'ready') throw new Error('simulated proxies did not start');
    const initial = JSON.parse(await ask('report')) as { bytes: number[] };
    const run = async (change: () => PushRequest) => {
      const convergence: number[] = [];
      let bytes = 0;
      for (let i = 0; i < changes; i++) {
        await ask('mark');
        const before = new Map(server.connections().map((c) => [c, [...c.watched.values()].map((w) => w.nonceSent)]));
        const t0 = wallNow();
        server.pushAll(change());
        await converged(server, before);
        const report = JSON.parse(await ask('report')) as { acks: number[]; bytes: number[] };
        for (const ack of report.acks) convergence.push(ack - t0);
        bytes += report.bytes.reduce((a, b) => a + b, 0) / proxies;
      }
      return { convergenceMs: convergence, bytesPerProxy: bytes / changes };
    };
    let endpointRevision = 0;
    const endpoint = await run(() => {
      const service = endpointRevision++ % SERVICES;
      generator.endpoints[service] = generator.assignment(service, ENDPOINTS + 1 + (endpointRevision % 2));
      return { full: false, reason: ['endpoint'], edsUpdates: new Set([clusterName(service)]) };
    });
    const route = await run(() => {
      generator.changeRoutes();
      return { full: true, reason: ['config'] };
    });
    return {
      proxies,
      protocol,
      initialBytesPerProxy: initial.bytes.reduce((a, b) => a + b, 0) / proxies,
      route,
      endpoint,
    };
  } finally {
    child.stdin!.write('exit\n');
    await new Promise((resolve) => child.once('exit', resolve));
    await server.stop();
  }
}

/** Every proxy has been sent something new since `before` and has ACKed everything. */
async function converged(server: XdsServer, before: Map<unknown, (string | undefined)[]>): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const done = server.connections().every((c) => {
      const watched = [...c.watched.values()];
      const previous = before.get(c) ?? [];
      return watched.some((w, i) => w.nonceSent !== previous[i]) && watched.every((w) => w.state === 'SYNCED');
    });
    if (done) return;
    if (Date.now() > deadline) throw new Error('proxies did not converge within 60 s');
    await new Promise((r) => setTimeout(r, 2));
  }
}

function report(all: Figures[], changes: number): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const kb = (v: number) => `${(v / 1024).toFixed(1)} KiB`;
  const rows = all.flatMap((f) =>
    (['endpoint', 'route'] as const).map(
      (kind) =>
        `| ${f.proxies} | ${f.protocol} | ${kind === 'endpoint' ? 'endpoint change (EDS push)' : 'route change (full push)'} | ${ms(percentile(f[kind].convergenceMs, 50))} | ${ms(percentile(f[kind].convergenceMs, 90))} | ${ms(Math.max(...f[kind].convergenceMs))} | ${kb(f[kind].bytesPerProxy)} | ${kb(f.initialBytesPerProxy)} |`,
    ),
  );
  return [
    `# Control plane: push convergence and bytes (${new Date().toISOString().slice(0, 10)})`,
    '',
    `Method: see bench/control-plane.ts. xDS server in-process with istiod defaults (debounce 100 ms), ` +
      `simulated proxies in one child process on the same 2-vCPU machine; ${SERVICES} services, ` +
      `${ENDPOINTS} endpoints each, ${SERVICES}×${ROUTES_PER_HOST} routes; ${changes} changes per kind, ` +
      'percentiles over all proxies of all changes. Convergence = change → proxy ACK, including the 100 ms debounce.',
    '',
    '| proxies | protocol | change | p50 | p90 | max | bytes/proxy | initial config bytes/proxy |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Targets (issue 5): p90 < 100 ms at 10 proxies, < 1 s at 1,000 proxies (config change → last ACK).',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let proxyCounts = [10, 1000];
  let changes = 5;
  for (const arg of process.argv.slice(2)) {
    if (arg.startsWith('--proxies=')) proxyCounts = arg.slice(10).split(',').map(Number);
    else if (arg.startsWith('--changes=')) changes = Number(arg.slice(10));
    else throw new Error(`unknown argument ${arg}; usage: control-plane.js [--proxies=10,1000] [--changes=5]`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'skein-cp-bench-'));
  const namesFile = path.join(dir, 'names.json');
  writeFileSync(namesFile, JSON.stringify({ clusters: Array.from({ length: SERVICES }, (_, i) => clusterName(i)), routes: ['9080'] }));
  const all: Figures[] = [];
  for (const proxies of proxyCounts) {
    for (const protocol of ['sotw', 'delta'] as const) {
      process.stderr.write(`[bench] ${proxies} proxies, ${protocol}\n`);
      all.push(await measure(proxies, protocol, changes, namesFile));
    }
  }
  const text = report(all, changes);
  const results = path.resolve(here, '../../bench/results');
  mkdirSync(results, { recursive: true });
  const base = path.join(results, `${new Date().toISOString().slice(0, 10)}-control-plane`);
  writeFileSync(`${base}.md`, text);
  writeFileSync(`${base}.raw.json`, JSON.stringify(all));
  process.stdout.write(text);
}

await main();
