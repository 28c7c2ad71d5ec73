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
  freePort,
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

export async function startNginx(originPort: number): Promise<RunningSut> {
  const dir = makeTempDir('nginx');
  chmodSync(dir, 0o755);
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, nginxProxyConfig(dir, port, originPort));
  return launch('nginx', dir, 'nginx', ['-e', path.join(dir, 'error.log'), '-p', dir, '-c', conf], (p) => ({ port: p }), port);
}

export async function startHaproxy(originPort: number): Promise<RunningSut> {
  const dir = makeTempDir('haproxy');
  const port = await freePort();
  const conf = path.join(dir, 'haproxy.cfg');
  writeFileSync(conf, haproxyConfig(port, originPort));
  return launch('haproxy', dir, 'haproxy', ['-f', conf, '-db'], (p) => ({ port: p }), port);
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
  const bin = path.join(REPO_ROOT, 'bin', 'skein.js');
  const sut = await launch(
    'skein',
    dir,
    process.execPath,
    [bin, 'proxy', '--config', conf],
    (p) => ({ port: p, httpPort: adminPort, httpPath: '/ready' }),
    listenPort,
    readyTimeoutMs,
  );
  return { ...sut, adminPort };
}

export async function startSkein(originPort: number): Promise<RunningSut> {
  const ports = await distinctFreePorts(3);
  const [listenPort, adminPort, closedPort] = [ports[0]!, ports[1]!, ports[2]!];
  return startSkeinWith(realisticBootstrap({ listenPort, adminPort, originPort, closedPort }), listenPort, adminPort);
}

export async function startSut(id: SutId, originPort: number): Promise<RunningSut> {
  switch (id) {
    case 'direct':
      return { id, port: originPort, proc: null, stop: async () => {} };
    case 'nginx':
      return startNginx(originPort);
    case 'haproxy':
      return startHaproxy(originPort);
    case 'skein':
      return startSkein(originPort);
  }
}
