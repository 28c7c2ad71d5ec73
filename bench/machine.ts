/**
 * Facts about the machine and the tools, recorded in every report (benchmark.md §6.2):
 * CPU model, `lscpu -e` with an SMT note, kernel, Node version and flags, governor, versions.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineFacts {
  cpuModel: string;
  cpus: number;
  lscpu: string;
  smtNote: string;
  kernel: string;
  node: string;
  nodeFlags: string;
  governor: string;
  memoryGiB: number;
  tools: Record<string, string>;
  gitCommit: string;
}

/** stdout and stderr together: nginx -v and wrk -v print on stderr, wrk exits non-zero. */
function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() || 'unavailable';
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/** Whether two online CPUs report the same CORE in `lscpu -e` (SMT siblings). */
export function smtNoteFrom(lscpu: string): string {
  const rows = lscpu.split('\n').slice(1);
  const cores = rows.map((row) => row.trim().split(/\s+/)[3]).filter((c): c is string => c !== undefined);
  const shared = cores.length !== new Set(cores).size;
  return shared
    ? 'The vCPUs are SMT siblings of one physical core: the "isolated" core 1 is NOT isolated from core 0.'
    : 'lscpu reports each vCPU on its own core (no SMT siblings visible). On a VM the host may still ' +
        'schedule both vCPUs on sibling hyper-threads; that cannot be seen from inside.';
}

export function collectMachineFacts(): MachineFacts {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const lscpu = run('lscpu', ['-e']);
  let governor: string;
  try {
    governor = readFileSync('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor', 'utf8').trim();
  } catch {
    governor = 'not exposed (no cpufreq in this VM); not set';
  }
  return {
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    cpus: os.cpus().length,
    lscpu,
    smtNote: smtNoteFrom(lscpu),
    kernel: os.release(),
    node: process.version,
    nodeFlags: process.execArgv.join(' ') || '(none)',
    governor,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    tools: {
      nginx: run('nginx', ['-v']).replace(/^nginx version: /, ''),
      haproxy: firstLine(run('haproxy', ['-v'])).replace(/ - https?:.*$/, ''),
      wrk: firstLine(run('wrk', ['-v'])).replace(/ Copyright.*$/, ''),
    },
    gitCommit: run('git', ['rev-parse', '--short', 'HEAD']),
  };
}
