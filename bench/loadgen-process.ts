/**
 * Runs the open-loop load generator as a child process pinned to core 0 (its own process
 * group, so Ctrl-C cleanup reaches it) and returns the result it prints.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackGroup, untrackGroup } from './cleanup.js';
import type { LoadgenConfig, LoadgenResult } from './loadgen.js';
import { LOADGEN_CORE } from './origin.js';

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'loadgen-main.js');

export function runLoadgen(config: LoadgenConfig): Promise<LoadgenResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'taskset',
      ['-c', String(LOADGEN_CORE), process.execPath, ENTRY, JSON.stringify(config)],
      {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const pid = child.pid;
    if (pid === undefined) {
      reject(new Error('could not start the load generator'));
      return;
    }
    trackGroup(pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('close', (code) => {
      untrackGroup(pid);
      if (code !== 0) {
        reject(new Error(`load generator exited with ${code}: ${stderr.trim()}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as LoadgenResult);
      } catch {
        reject(new Error(`load generator printed no result: ${stdout.slice(0, 200)} ${stderr.trim()}`));
      }
    });
  });
}
