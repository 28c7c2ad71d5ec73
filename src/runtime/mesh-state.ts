/**
 * Where `skein apply | get | delete | down` find the running mesh: `skein up` writes its API
 * address and pid to a small state file, removed on shutdown. `--api HOST:PORT` bypasses it.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface MeshState {
  readonly name: string;
  readonly pid: number;
  /** host:port of the mesh API (the control plane's monitoring port). */
  readonly api: string;
  readonly file: string;
}

function stateFile(): string {
  const dir = process.env.SKEIN_STATE_DIR ?? path.join(tmpdir(), `skein-${process.getuid?.() ?? 'user'}`);
  return path.join(dir, 'mesh.json');
}

export function writeMeshState(state: MeshState): void {
  const file = stateFile();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export function clearMeshState(pid: number): void {
  const current = readMeshState();
  if (current?.pid === pid) rmSync(stateFile(), { force: true });
}

export function readMeshState(): MeshState | undefined {
  try {
    const state = JSON.parse(readFileSync(stateFile(), 'utf8')) as MeshState;
    process.kill(state.pid, 0); // throws when that mesh is gone
    return state;
  } catch {
    return undefined;
  }
}

/** The mesh API address from `--api` or the state file; explains what to do when there is none. */
export function meshApi(explicit: string | undefined): string {
  if (explicit) return explicit;
  const state = readMeshState();
  if (!state) throw new Error('no running mesh found: start one with `skein up -f mesh.yaml` (or pass --api HOST:PORT)');
  return state.api;
}
