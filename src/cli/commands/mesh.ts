/** `skein apply | delete | get | down`: operator commands against the mesh `skein up` runs. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { listConfigFiles } from '../../config/load.js';
import { meshApi } from '../../runtime/mesh-state.js';
import type { SkeinCommand } from './command.js';

interface ApiOption {
  api?: string;
}

async function call(api: string, method: string, pathname: string, body?: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`http://${api}${pathname}`, { method, ...(body === undefined ? {} : { body }) });
  return { status: response.status, json: await response.json() };
}

/** Polls the mesh API until it refuses connections (the mesh has stopped); false on timeout. */
async function apiClosed(api: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://${api}/apis/v1/workloads`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
    } catch (err) {
      if ((err as Error).name !== 'TimeoutError') return true; // refused or reset: it is gone
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

async function sendConfig(mode: 'apply' | 'delete', files: string[], options: ApiOption): Promise<number> {
  const api = meshApi(options.api);
  let code = 0;
  // In the order given, as kubectl does (a directory's files in lexical order): the order of
  // `apply` and `delete` decides which routes exist while subsets come and go.
  const inputs = files.includes('-') ? ['-'] : files.flatMap((file) => listConfigFiles([file]));
  if (inputs.length === 0) throw new Error(`no .yaml, .yml or .json files in ${files.join(', ')}`);
  for (const file of inputs) {
    const text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
    const { status, json } = await call(api, 'POST', `/apis/v1/${mode}?file=${encodeURIComponent(file === '-' ? '<stdin>' : path.relative(process.cwd(), file))}`, text);
    const result = json as { applied?: string[]; deleted?: string[]; errors?: string[]; warnings?: string[] };
    for (const line of result.errors ?? []) process.stderr.write(`${line}\n`);
    for (const line of result.warnings ?? []) process.stderr.write(`${line}\n`);
    for (const name of result.applied ?? []) process.stdout.write(`${name} configured\n`);
    for (const name of result.deleted ?? []) process.stdout.write(`${name} deleted\n`);
    if (status !== 200) code = 1;
  }
  return code;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('   ').trimEnd()).join('\n');
}

async function run(action: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (err) {
    process.stderr.write(`skein: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

/** `skein apply` and `skein delete`: the same flags, sending the files to one of two endpoints. */
function configCommand(mode: 'apply' | 'delete', summary: string): SkeinCommand {
  return {
    name: mode,
    kind: 'operator',
    summary,
    register(program) {
      program
        .command(this.name)
        .description(this.summary)
        .requiredOption('-f, --filename <paths...>', 'files or directories (- for stdin)')
        .option('--api <host:port>', 'the mesh API (default: the mesh `skein up` started)')
        .action((options: ApiOption & { filename: string[] }) => run(() => sendConfig(mode, options.filename, options)));
    },
  };
}

export const applyCommand = configCommand('apply', 'validate Istio / Gateway API config and apply it to the running mesh');
export const deleteCommand = configCommand('delete', 'remove the config these files define from the running mesh');

export const getCommand: SkeinCommand = {
  name: 'get',
  kind: 'operator',
  summary: 'list the running mesh\'s workloads, services or config',
  register(program) {
    program
      .command(this.name)
      .description(this.summary)
      .argument('<what>', 'workloads | services | config')
      .option('-o, --output <format>', 'table or json', 'table')
      .option('--api <host:port>', 'the mesh API (default: the mesh `skein up` started)')
      .action((what: string, options: ApiOption & { output: string }) =>
        run(async () => {
          if (!['workloads', 'services', 'config'].includes(what)) throw new Error(`unknown '${what}': workloads, services or config`);
          const { json } = await call(meshApi(options.api), 'GET', `/apis/v1/${what}`);
          if (options.output === 'json') {
            process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
            return 0;
          }
          const items = json as Record<string, unknown>[];
          const rows =
            what === 'workloads'
              ? [['NAME', 'NAMESPACE', 'ADDRESS', 'PHASE', 'RESTARTS'], ...items.map((w) => [String(w.name), String(w.namespace), String(w.address), String(w.phase), String(w.restarts)])]
              : what === 'services'
                ? [['HOSTNAME', 'PORTS', 'ENDPOINTS'], ...items.map((s) => [String(s.hostname), (s.ports as string[]).join(','), (s.endpoints as string[]).join(',') || '<none>'])]
                : [['KIND', 'NAMESPACE', 'NAME'], ...items.map((c) => [String(c.kind), String(c.namespace), String(c.name)])];
          process.stdout.write(`${table(rows)}\n`);
          return 0;
        }),
      );
  },
};

export const downCommand: SkeinCommand = {
  name: 'down',
  kind: 'operator',
  summary: 'stop the mesh `skein up` is running (apps first, then their sidecars drain)',
  register(program) {
    program
      .command(this.name)
      .description(this.summary)
      .option('--api <host:port>', 'the mesh API (default: the mesh `skein up` started)')
      .option('--timeout <seconds>', 'how long to wait for the mesh to stop', '60')
      .action((options: ApiOption & { timeout: string }) =>
        run(async () => {
          const api = meshApi(options.api);
          const { status } = await call(api, 'POST', '/apis/v1/shutdown');
          if (status !== 202) {
            process.stdout.write(`unexpected status ${status}\n`);
            return 1;
          }
          process.stdout.write('mesh stopping\n');
          // The API closes only after every workload has stopped: returning before that would
          // let a following `skein up` find the addresses still taken.
          if (!(await apiClosed(api, Number(options.timeout) * 1000))) {
            process.stderr.write(`skein: the mesh is still stopping after ${options.timeout} s\n`);
            return 1;
          }
          process.stdout.write('mesh stopped\n');
          return 0;
        }),
      );
  },
};
