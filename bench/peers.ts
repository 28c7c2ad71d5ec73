/**
 * The systems under test, each a one-hop proxy in front of the origin with ONE worker pinned
 * to core 1, upstream keep-alive on and no per-request logging.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { haproxyConfig } from './haproxy-config.js';
import { nginxProxyConfig } from './nginx-config.js';
import { SUT_CORE } from './origin.js';
import {
  distinctFreePorts,
  type ManagedProcess,
  makeTempDir,
  type ReadinessCheck,
  spawnPinned,
  waitUntilReady,
} from './processes.js';
import { realisticBootstrap } from './skein-bootstrap.js';

export type SutId = 'direct' | 'nginx' | 'haproxy' | 'skein';
export const SUT_IDS: readonly SutId[] = ['direct', 'nginx', 'haproxy', 'skein'];
export const PROXY_IDS: readonly SutId[] = ['nginx', 'haproxy', 'skein'];

export const SUT_LABELS: Record<SutId, string> = {
  direct: 'direct (no proxy)',
  nginx: 'nginx',
  haproxy: 'haproxy',
  skein: 'Skein',
};

export interface RunningSut {
  id: SutId;
  /** Where the load is sent. */
  port: number;
  /** The proxy process (group leader), or null for the direct path. */
  proc: ManagedProcess | null;
  /** Skein's admin port, when it has one. */
  adminPort?: number;
  stop(): Promise<void>;
}

/** The SUT could not be started: the report says "not run: <reason>". */
export class SutUnavailable extends Error {}

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_SKEIN_LAUNCHER = path.join(REPO_ROOT, 'bin', 'skein.js');

let skeinLauncher = DEFAULT_SKEIN_LAUNCHER;

/** Runs another build of the proxy (`--skein-bin=`), e.g. a branch checked out elsewhere. */
export function useSkeinLauncher(file: string): void {
  skeinLauncher = path.resolve(file);
}

let resilience = false;

/** Measures Skein with Istio's default retries, outlier detection and a 0 % fault filter (`--resilience`). */
export function useResilienceConfig(): void {
  resilience = true;
}

export function resilienceConfigured(): boolean {
  return resilience;
}

export function currentSkeinLauncher(): string {
  return skeinLauncher;
}

async function launch(
  id: SutId,
  dir: string,
  command: string,
  args: string[],
  check: (port: number) => ReadinessCheck,
  port: number,
  readyTimeoutMs = 15_000,
): Promise<RunningSut> {
  const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));
  let proc: ManagedProcess;
  try {
    proc = spawnPinned(SUT_CORE, command, args, path.join(dir, 'out.log'));
  } catch (err) {
    throw new SutUnavailable(`could not start ${command}: ${reason(err)}`);
  }
  try {
    await waitUntilReady(proc, check(port), readyTimeoutMs);
  } catch (err) {
    await proc.stop(500);
    throw new SutUnavailable(reason(err));
  }
  return { id, port, proc, stop: () => proc.stop() };
}

export async function startNginx(originPort: number, hops: number): Promise<RunningSut> {
  const dir = makeTempDir('nginx');
  chmodSync(dir, 0o755);
  const ports = await distinctFreePorts(hops);
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, nginxProxyConfig(dir, ports, originPort));
  const args = ['-e', path.join(dir, 'error.log'), '-p', dir, '-c', conf];
  return launch('nginx', dir, 'nginx', args, (p) => ({ port: p }), ports[0]!);
}

export async function startHaproxy(originPort: number, hops: number): Promise<RunningSut> {
  const dir = makeTempDir('haproxy');
  const ports = await distinctFreePorts(hops);
  const conf = path.join(dir, 'haproxy.cfg');
  writeFileSync(conf, haproxyConfig(ports, originPort));
  return launch('haproxy', dir, 'haproxy', ['-f', conf, '-db'], (p) => ({ port: p }), ports[0]!);
}

/** Starts `node bin/skein.js proxy --config <file>` with `bootstrap` written as YAML. */
export async function startSkeinWith(
  bootstrap: Record<string, unknown>,
  listenPort: number,
  adminPort: number,
  readyTimeoutMs = 15_000,
): Promise<RunningSut> {
  const dir = makeTempDir('skein');
  const conf = path.join(dir, 'bootstrap.yaml');
  writeFileSync(conf, stringify(bootstrap, { lineWidth: 0 }));
  const sut = await launch(
    'skein',
    dir,
    process.execPath,
    [skeinLauncher, 'proxy', '--config', conf],
    (p) => ({ port: p, httpPort: adminPort, httpPath: '/ready' }),
    listenPort,
    readyTimeoutMs,
  );
  return { ...sut, adminPort };
}

export async function startSkein(originPort: number, hops: number): Promise<RunningSut> {
  const ports = await distinctFreePorts(hops + 2);
  const [adminPort, closedPort] = [ports[0]!, ports[1]!];
  const listenPorts = ports.slice(2);
  const bootstrap = realisticBootstrap({ listenPorts, adminPort, originPort, closedPort }, { resilience });
  return startSkeinWith(bootstrap, listenPorts[0]!, adminPort);
}

/**
 * Starts `id` in front of the origin. With `hops` > 1 the proxy is a daisy chain of that many
 * hops inside its one worker (DPbench's way to magnify a proxy's cost when the load side is
 * too weak); the direct path has no hops.
 */
export async function startSut(id: SutId, originPort: number, hops = 1): Promise<RunningSut> {
  switch (id) {
    case 'direct':
      return { id, port: originPort, proc: null, stop: async () => {} };
    case 'nginx':
      return startNginx(originPort, hops);
    case 'haproxy':
      return startHaproxy(originPort, hops);
    case 'skein':
      return startSkein(originPort, hops);
  }
}
