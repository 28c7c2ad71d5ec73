/**
 * Max-throughput runs with wrk (closed loop: its latencies are never quoted), pinned to
 * core 0 beside the origin: `wrk -t1 -c<N> -d<S>s`, same Host and headers as the load
 * generator sends.
 */
import { spawn } from 'node:child_process';
import { signalGroup, trackGroup, untrackGroup } from './cleanup.js';
import { LOADGEN_CORE } from './origin.js';
import { BENCH_HOST, EXTRA_HEADERS } from './workload.js';

export interface WrkResult {
  connections: number;
  durationSeconds: number;
  requests: number;
  rps: number;
  non2xx: number;
  socketErrors: number;
}

export function parseWrkOutput(text: string): Omit<WrkResult, 'connections' | 'durationSeconds'> {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const requests = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(text);
  if (!rps || !requests) throw new Error(`unrecognised wrk output: ${text.slice(0, 300)}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const sockets = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = sockets ? sockets.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requests: Number(requests[1]),
    rps: Number(rps[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors,
  };
}

export function runWrk(
  port: number,
  path: string,
  connections: number,
  durationSeconds: number,
): Promise<WrkResult> {
  const args = ['-c', String(LOADGEN_CORE), 'wrk', '-t1', `-c${connections}`, `-d${durationSeconds}s`];
  args.push('-H', `Host: ${BENCH_HOST}`);
  for (const [name, value] of EXTRA_HEADERS) args.push('-H', `${name}: ${value}`);
  args.push(`http://127.0.0.1:${port}${path}`);
  return new Promise((resolve, reject) => {
    // Its own process group, tracked, so that Ctrl-C cleanup stops it too.
    const child = spawn('taskset', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    if (pid === undefined) {
      reject(new Error('could not start wrk'));
      return;
    }
    trackGroup(pid);
    const limit = setTimeout(() => signalGroup(pid, 'SIGKILL'), (durationSeconds + 30) * 1000);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      untrackGroup(pid);
      if (code !== 0) {
        reject(new Error(`wrk exited with ${code ?? signal}: ${stderr.trim() || stdout.trim()}`));
        return;
      }
      try {
        resolve({ connections, durationSeconds, ...parseWrkOutput(stdout) });
      } catch (err) {
        reject(err);
      }
    });
  });
}
