/**
 * Starting pinned child processes and waiting for them to serve.
 *
 * Each child runs as `taskset -c <core> cmd …` (taskset execs, so the pid is the command's)
 * in its own process group, with stdout and stderr going to a log file in its temp dir.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalGroup, trackDir, trackGroup, untrackGroup } from './cleanup.js';

export interface ManagedProcess {
  pid: number;
  logFile: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  hasExited(): boolean;
  /** The last lines of its log, for error messages. */
  logTail(lines?: number): string;
  /** SIGTERM to the group, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `skein-bench-${prefix}-`));
  trackDir(dir);
  return dir;
}

export function spawnPinned(core: number, command: string, args: readonly string[], logFile: string) {
  const fd = openSync(logFile, 'a');
  const child = spawn('taskset', ['-c', String(core), command, ...args], {
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  trackGroup(pid);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.on('error', (err) => {
      done = true;
      resolve(err.message);
    });
  });
  const managed: ManagedProcess = {
    pid,
    logFile,
    exited,
    hasExited: () => done,
    logTail: (lines = 5) => tailOf(logFile, lines),
    stop: async (graceMs = 2000) => {
      signalGroup(pid, 'SIGTERM');
      const outcome = await Promise.race([exited.then(() => 'exited'), sleep(graceMs, 'timeout')]);
      if (outcome === 'timeout') signalGroup(pid, 'SIGKILL');
      // Workers of the group (nginx) may outlive the leader by a moment.
      signalGroup(pid, 'SIGKILL');
      await exited;
      untrackGroup(pid);
    },
  };
  return managed;
}

/** The first error-looking line of a log, else its last lines. */
function tailOf(file: string, lines: number): string {
  let all: string[];
  try {
    all = readFileSync(file, 'utf8').trim().split('\n');
  } catch {
    return '';
  }
  const error = all.find((line) => /\b(error|alert|emerg|fatal)\b/i.test(line));
  const text = error ?? all.slice(-lines).join(' | ');
  return text.trim().slice(0, 400);
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** `count` different free ports. */
export async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Status code of `GET http://127.0.0.1:<port><path>`, or 0 if it could not be fetched. */
export function httpStatus(port: number, urlPath: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
  });
}

/** Body of `GET http://127.0.0.1:<port><path>` if it answered 200, else null. */
export function httpGetText(port: number, urlPath: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(res.statusCode === 200 ? body : null));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(null));
  });
}

export interface ReadinessCheck {
  port: number;
  /** If set, also require `GET <httpPath>` on `httpPort` to answer 200. */
  httpPort?: number;
  httpPath?: string;
}

/** Polls until the process serves, or throws with the reason (exit, timeout) and its log tail. */
export async function waitUntilReady(proc: ManagedProcess, check: ReadinessCheck, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.hasExited()) {
      const code = await proc.exited;
      throw new Error(`exited with ${code} before it was ready: ${proc.logTail() || '(no output)'}`);
    }
    const portOpen = await canConnect(check.port);
    const httpOk =
      check.httpPort === undefined || (await httpStatus(check.httpPort, check.httpPath ?? '/')) === 200;
    if (portOpen && httpOk) return;
    await sleep(50);
  }
  throw new Error(`not ready after ${timeoutMs / 1000} s: ${proc.logTail() || '(no output)'}`);
}
