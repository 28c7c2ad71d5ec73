/**
 * A whole local mesh for end-to-end tests: `skein up` as a child process, driven with the CLI
 * as a user drives it (`skein apply | delete | get | down`), and kept apart from any mesh the
 * user runs: its own state directory (SKEIN_STATE_DIR), free control-plane ports, a random
 * loopback /24 for the workloads and free ports for the gateways' listeners.
 *
 * Teardown proves that nothing of the mesh is left: every process the mesh starts inherits
 * SKEIN_STATE_DIR=<this mesh's temp dir>, so a /proc scan finds any leftover (it is killed with
 * SIGKILL and `down()` fails).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { listConfigFiles } from '../../src/config/load.js';
import { SKEIN_BIN, TestProcess } from './child-processes.js';
import { loopbackSubnet } from './loopback.js';
import { freePort } from './proxy-harness.js';
import { tempDir } from './temp-dir.js';

/** One row of `skein get workloads -o json`. */
export interface MeshWorkload {
  readonly name: string;
  readonly namespace: string;
  readonly kind: 'app' | 'gateway';
  readonly address: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly phase: string;
  readonly restarts: number;
}

/** One row of `skein get services -o json`. */
export interface MeshService {
  readonly hostname: string;
  readonly namespace: string;
  readonly ports: readonly string[];
  readonly endpoints: readonly string[];
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The mesh file as plain data, for `edit` (e.g. to add a `services:` list). */
export type MeshDocument = { spec: Record<string, unknown> & { workloads: Record<string, unknown>[] } } & Record<string, unknown>;

export interface StartMeshOptions {
  /** The mesh file; the harness runs a relocated copy of it (see `relocate`). */
  readonly file: string;
  /** Changes to the mesh document before it runs. */
  readonly edit?: (mesh: MeshDocument) => void;
  /** Beyond every workload Running (or Succeeded): what else "up" means, e.g. the gateway serves. */
  readonly ready?: (mesh: MeshHarness) => Promise<boolean>;
  readonly timeoutMs?: number;
}

const SETTLED_PHASES = new Set(['Running', 'Succeeded']);
const live = new Set<MeshHarness>();
process.once('exit', () => {
  for (const mesh of live) killAll(meshProcesses(mesh.dir));
});

export class MeshHarness {
  /** The mesh's temp dir: its state file, the relocated mesh file and config. Every mesh process carries it. */
  readonly dir: string;
  readonly up: TestProcess;
  /** 127.0.0.1:<port> of the mesh API. */
  readonly api: string;
  /** Gateway listener ports: the port in the config → the port the test mesh uses. */
  readonly gatewayPorts: ReadonlyMap<number, number>;
  /** Workload name → its loopback IP in this mesh. */
  readonly addresses: ReadonlyMap<string, string>;
  private downed = false;

  private constructor(dir: string, up: TestProcess, api: string, gatewayPorts: ReadonlyMap<number, number>, addresses: ReadonlyMap<string, string>) {
    this.dir = dir;
    this.up = up;
    this.api = api;
    this.gatewayPorts = gatewayPorts;
    this.addresses = addresses;
  }

  /** Runs `skein up` on a relocated copy of the mesh file; resolves once every workload is settled and `ready` holds. */
  static async start(options: StartMeshOptions): Promise<MeshHarness> {
    const dir = tempDir('skein-mesh-');
    const taken = new Set<number>();
    const relocated = await relocate(options.file, dir, taken, options.edit);
    const [xdsPort, apiPort] = [await distinctFreePort(taken), await distinctFreePort(taken)];
    const up = TestProcess.skein('skein up', ['up', '-f', relocated.file, '--xds-port', String(xdsPort), '--api-port', String(apiPort)], {
      SKEIN_STATE_DIR: dir,
    });
    const mesh = new MeshHarness(dir, up, `127.0.0.1:${apiPort}`, relocated.gatewayPorts, relocated.addresses);
    live.add(mesh);
    try {
      await mesh.waitFor('every workload Running', async () => {
        const workloads = await mesh.apiGet<MeshWorkload[]>('/apis/v1/workloads').catch(() => undefined);
        const failed = workloads?.find((w) => w.phase === 'Failed');
        if (failed) throw new Error(`workload ${failed.name} failed to start`);
        return workloads !== undefined && workloads.every((w) => SETTLED_PHASES.has(w.phase));
      }, options.timeoutMs ?? 30_000);
      const ready = options.ready;
      if (ready) await mesh.waitFor('the mesh to serve', () => ready(mesh).catch(() => false), options.timeoutMs ?? 30_000);
    } catch (err) {
      await mesh.close();
      throw new Error(`${(err as Error).message}\n--- skein up output ---\n${up.output.slice(-8000)}`, { cause: err });
    }
    return mesh;
  }

  /** `http://<gateway IP>:<port>` for a gateway listener port as written in the config (8080). */
  gatewayUrl(workload: string, configPort: number): string {
    const port = this.gatewayPorts.get(configPort);
    const address = this.addresses.get(workload);
    if (port === undefined || address === undefined) throw new Error(`no gateway ${workload} listening on ${configPort}`);
    return `http://${address}:${port}`;
  }

  /** `skein …args` against this mesh (found through its state file, as a user's shell finds it). */
  skein(args: readonly string[], stdin?: string): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [SKEIN_BIN, ...args], {
        env: { ...process.env, SKEIN_STATE_DIR: this.dir },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.once('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin ?? '');
    });
  }

  /** `skein apply -f FILE…` (`-` with `yaml` for stdin); fails on any error. */
  async apply(...files: string[]): Promise<void> {
    await this.change('apply', files);
  }

  /** `skein apply -f -` with YAML on stdin, as Istio's tasks do (`kubectl apply -f - <<EOF`). */
  async applyYaml(yaml: string): Promise<void> {
    await this.change('apply', ['-'], yaml);
  }

  async delete(...files: string[]): Promise<void> {
    await this.change('delete', files);
  }

  async deleteYaml(yaml: string): Promise<void> {
    await this.change('delete', ['-'], yaml);
  }

  private async change(verb: 'apply' | 'delete', files: readonly string[], stdin?: string): Promise<void> {
    const result = await this.skein([verb, '-f', ...files], stdin);
    assert.equal(result.code, 0, `skein ${verb} -f ${files.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  }

  /** Applies `files` in order (one `skein apply`), runs `body`, then deletes them in reverse order (even when `body` fails). */
  async withConfig<T>(files: readonly string[], body: () => Promise<T>): Promise<T> {
    await this.apply(...files);
    try {
      return await body();
    } finally {
      await this.delete(...[...files].reverse());
    }
  }

  /** `skein get <what> -o json`, parsed. */
  async get<T>(what: 'workloads' | 'services' | 'config'): Promise<T> {
    const result = await this.skein(['get', what, '-o', 'json']);
    assert.equal(result.code, 0, `skein get ${what} failed: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /** The mesh API directly (cheap enough to poll). */
  async apiGet<T>(pathname: string): Promise<T> {
    const response = await fetch(`http://${this.api}${pathname}`, { signal: AbortSignal.timeout(2000) });
    if (response.status !== 200) throw new Error(`GET ${pathname}: ${response.status}`);
    return (await response.json()) as T;
  }

  async workload(name: string): Promise<MeshWorkload> {
    const found = (await this.apiGet<MeshWorkload[]>('/apis/v1/workloads')).find((w) => w.name === name);
    if (!found) throw new Error(`no workload ${name}`);
    return found;
  }

  /** Ready endpoints (`IP:port`) of a service, by short name in `default` or full hostname. */
  async endpoints(service: string): Promise<readonly string[]> {
    const hostname = service.includes('.') ? service : `${service}.default.svc.cluster.local`;
    const found = (await this.apiGet<MeshService[]>('/apis/v1/services')).find((s) => s.hostname === hostname);
    if (!found) throw new Error(`no service ${hostname}`);
    return found.endpoints;
  }

  /** Config the proxies rejected (istiod's /debug/syncz): `proxy type: error` for every NACKED xDS type. */
  async nacks(): Promise<string[]> {
    type Status = { proxy: string; types: Record<string, { status: string; error?: string }> };
    const statuses = await this.apiGet<Status[]>('/debug/syncz');
    return statuses.flatMap((s) =>
      Object.entries(s.types).filter(([, t]) => t.status === 'NACKED').map(([type, t]) => `${s.proxy} ${type}: ${t.error ?? ''}`),
    );
  }

  /** Polls `check` every 50 ms until it holds; fails naming `what`. The mesh dying fails it at once. */
  async waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.up.running) throw new Error(`skein up exited while waiting for ${what}`);
      if (await check()) return;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Command lines of this mesh's running processes (`skein up` and every sidecar, gateway and app). */
  processes(): string[] {
    return meshProcesses(this.dir).map(describeProcess);
  }

  /**
   * `skein down`, then waits for `skein up` to exit and checks that no process of this mesh
   * remains; any leftover is killed and fails the call.
   */
  async down(timeoutMs = 30_000): Promise<void> {
    this.downed = true;
    const result = await this.skein(['down']);
    // `skein down` returns once the mesh has stopped: only `skein up` itself may still be exiting.
    const afterDown = meshProcesses(this.dir).filter((pid) => pid !== this.up.child.pid).map(describeProcess);
    assert.equal(result.code, 0, `skein down failed: ${result.stdout}${result.stderr}`);
    const exit = await Promise.race([this.up.exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref())]);
    const leftovers = meshProcesses(this.dir).map(describeProcess);
    killAll(meshProcesses(this.dir));
    if (!exit) this.up.child.kill('SIGKILL');
    assert.ok(exit, `skein up did not exit within ${timeoutMs} ms of skein down`);
    assert.deepEqual(exit, { code: 0, signal: null }, `skein up exited with ${JSON.stringify(exit)}`);
    assert.deepEqual(leftovers, [], 'processes of the mesh still running after skein up exited');
    assert.deepEqual(afterDown, [], 'workload processes still running when skein down returned');
  }

  /** For `after` hooks: stops whatever is still running (politely, then SIGKILL) and removes the temp dir. */
  async close(): Promise<void> {
    if (!this.downed && this.up.running) {
      this.downed = true;
      await fetch(`http://${this.api}/apis/v1/shutdown`, { method: 'POST', signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      await Promise.race([this.up.exited, new Promise<void>((resolve) => setTimeout(resolve, 15_000).unref())]);
    }
    await this.up.stop(1000);
    killAll(meshProcesses(this.dir));
    live.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface Relocated {
  readonly file: string;
  readonly gatewayPorts: Map<number, number>;
  readonly addresses: Map<string, string>;
}

/**
 * Writes a copy of the mesh file into `dir` that cannot clash with another mesh: every workload
 * gets an address in a random loopback /24, relative command paths become absolute, and the
 * config is copied with each Gateway's listener ports moved to free ports.
 */
async function relocate(file: string, dir: string, taken: Set<number>, edit?: (mesh: MeshDocument) => void): Promise<Relocated> {
  const sourceDir = path.dirname(path.resolve(file));
  const mesh = parse(readFileSync(file, 'utf8')) as MeshDocument;
  const ip = loopbackSubnet();
  const addresses = new Map<string, string>();
  mesh.spec.workloads.forEach((workload, index) => {
    workload.address = ip(index + 2);
    addresses.set(String(workload.name), ip(index + 2));
    if (Array.isArray(workload.command)) {
      workload.command = workload.command.map((arg: unknown) =>
        typeof arg === 'string' && (arg.startsWith('./') || arg.startsWith('../')) ? path.resolve(sourceDir, arg) : arg,
      );
    }
  });
  const gatewayPorts = new Map<number, number>();
  const config = (mesh.spec.config as string[] | undefined) ?? [];
  if (config.length > 0) {
    const configDir = path.join(dir, 'config');
    mkdirSync(configDir);
    const sources = listConfigFiles(config.map((p) => path.resolve(sourceDir, p)));
    for (const [index, source] of sources.entries()) {
      const documents = parseAllDocuments(readFileSync(source, 'utf8')).map((d) => d.toJS() as unknown);
      for (const document of documents) await moveGatewayPorts(document, gatewayPorts, taken);
      const text = documents.filter((d) => d != null).map((d) => stringify(d)).join('---\n');
      writeFileSync(path.join(configDir, `${index}-${path.basename(source)}`), text);
    }
    mesh.spec.config = ['config/'];
  }
  edit?.(mesh);
  const relocated = path.join(dir, 'mesh.yaml');
  writeFileSync(relocated, stringify(mesh));
  return { file: relocated, gatewayPorts, addresses };
}

/** Istio Gateway `servers[].port.number` and Gateway API `listeners[].port`, each moved to a free port. */
async function moveGatewayPorts(document: unknown, ports: Map<number, number>, taken: Set<number>): Promise<void> {
  const resource = document as { kind?: string; spec?: { servers?: { port?: { number?: number } }[]; listeners?: { port?: number }[] } } | null;
  if (resource?.kind !== 'Gateway' || !resource.spec) return;
  const moved = async (port: number): Promise<number> => {
    const existing = ports.get(port);
    if (existing !== undefined) return existing;
    const fresh = await distinctFreePort(taken);
    ports.set(port, fresh);
    return fresh;
  };
  for (const server of resource.spec.servers ?? []) {
    if (server.port?.number !== undefined) server.port.number = await moved(server.port.number);
  }
  for (const listener of resource.spec.listeners ?? []) {
    if (listener.port !== undefined) listener.port = await moved(listener.port);
  }
}

/** A free port not already handed out to this mesh (`freePort` may return the same one twice). */
async function distinctFreePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (taken.has(port)) continue;
    taken.add(port);
    return port;
  }
}

/** Pids of the processes whose environment carries SKEIN_STATE_DIR=`dir` (Linux /proc). */
export function meshProcesses(dir: string): number[] {
  const marker = `SKEIN_STATE_DIR=${dir}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').includes(marker)) pids.push(pid);
    } catch {
      // Gone, or not ours.
    }
  }
  return pids;
}

function describeProcess(pid: number): string {
  try {
    return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`;
  } catch {
    return `${pid}: (exited)`;
  }
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** What a user sees on Bookinfo's `/productpage` (samples/bookinfo/README.md, "Markup contract"). */
export interface ProductPage {
  readonly status: number;
  readonly elapsedMs: number;
  /** `data-reviews-version`: v1 (no stars), v2 (black), v3 (red), '' when it cannot be told. */
  readonly reviewsVersion: string;
  /** The reviews pod that answered (`reviews-v2-xxxxx`), '' when none did. */
  readonly reviewsPodname: string;
  /** `data-user` when signed in. */
  readonly user: string | undefined;
  /** Per review with stars: their colour and how many are full. */
  readonly stars: readonly { readonly color: string; readonly full: number }[];
  readonly detailsUnavailable: boolean;
  readonly reviewsUnavailable: boolean;
  readonly ratingsUnavailable: boolean;
  readonly html: string;
}

export const REVIEWS_UNAVAILABLE = 'Sorry, product reviews are currently unavailable for this book.';
export const DETAILS_UNAVAILABLE = 'Sorry, product details are currently unavailable for this book.';
export const RATINGS_UNAVAILABLE = 'Ratings service is currently unavailable';

/** GET /productpage, signed in when `cookie` (from `signIn`) is given. */
export async function fetchProductPage(baseUrl: string, cookie?: string): Promise<ProductPage> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/productpage`, {
    headers: cookie ? { cookie } : {},
    signal: AbortSignal.timeout(20_000),
  });
  const html = await response.text();
  const elapsedMs = performance.now() - started;
  const attribute = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(html)?.[1];
  const reviews = html.split('<blockquote class="review">').slice(1);
  return {
    status: response.status,
    elapsedMs,
    reviewsVersion: attribute('data-reviews-version') ?? '',
    reviewsPodname: attribute('data-podname') ?? '',
    user: attribute('data-user'),
    stars: reviews
      .filter((review) => review.includes('<span class="stars"'))
      .map((review) => ({
        color: /data-color="([^"]*)"/.exec(review)?.[1] ?? '',
        full: review.split('class="glyphicon glyphicon-star"').length - 1,
      })),
    detailsUnavailable: html.includes(DETAILS_UNAVAILABLE),
    reviewsUnavailable: html.includes(REVIEWS_UNAVAILABLE),
    ratingsUnavailable: html.includes(RATINGS_UNAVAILABLE),
    html,
  };
}

/** POST /login as Bookinfo's form does; returns the `cookie` header value that keeps the session. */
export async function signIn(baseUrl: string, user: string): Promise<string> {
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: user, passwd: 'password' }).toString(),
    redirect: 'manual',
    signal: AbortSignal.timeout(5000),
  });
  await response.arrayBuffer();
  const cookie = response.headers.get('set-cookie')?.split(';')[0];
  if (response.status !== 302 || !cookie) throw new Error(`sign-in as ${user}: ${response.status}, set-cookie ${cookie}`);
  return cookie;
}

/** `count` product pages, `concurrency` at a time. */
export async function fetchProductPages(baseUrl: string, count: number, concurrency = 4, cookie?: string): Promise<ProductPage[]> {
  const pages: ProductPage[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      pages.push(await fetchProductPage(baseUrl, cookie));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return pages;
}
