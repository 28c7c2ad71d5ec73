/**
 * `skein proxy-status`: istioctl's proxy-status against Skein's control plane. Reads the
 * control plane's `/debug/syncz` and prints, per proxy and xDS type, SYNCED / STALE /
 * NOT SENT / NACKED (with the proxy's error) and the version sent.
 */
import type { ProxySyncStatus, TypeSyncStatus } from '../../control/sync-status.js';
import type { SkeinCommand } from './command.js';

interface ProxyStatusOptions {
  control: string;
}

/** istioctl's columns, in its order. */
const COLUMNS: readonly { header: string; type: string }[] = [
  { header: 'CDS', type: 'cds' },
  { header: 'LDS', type: 'lds' },
  { header: 'EDS', type: 'eds' },
  { header: 'RDS', type: 'rds' },
];
const MAX_ERROR = 200;

export const proxyStatusCommand: SkeinCommand = {
  name: 'proxy-status',
  kind: 'operator',
  summary: "show each proxy's xDS sync status (SYNCED, STALE, NOT SENT, NACKED) from the control plane",
  register(program) {
    program
      .command(this.name)
      .description(this.summary)
      .option('--control <host:port>', "the control plane's monitoring address (/debug/syncz)", 'localhost:15014')
      .action(async (options: ProxyStatusOptions) => {
        process.exitCode = await runProxyStatus(options);
      });
  },
};

async function runProxyStatus(options: ProxyStatusOptions): Promise<number> {
  const url = `http://${options.control}/debug/syncz`;
  let statuses: ProxySyncStatus[];
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    statuses = (await response.json()) as ProxySyncStatus[];
  } catch (err) {
    const cause = (err as { cause?: Error }).cause;
    process.stderr.write(
      `skein proxy-status: cannot read ${url}: ${cause?.message ?? (err as Error).message}\n`,
    );
    return 1;
  }
  process.stdout.write(formatProxyStatus(statuses));
  return 0;
}

/** The status table, one row per proxy. */
export function formatProxyStatus(statuses: readonly ProxySyncStatus[]): string {
  const rows = [['NAME', ...COLUMNS.map((c) => c.header), 'VERSION']];
  for (const status of statuses) {
    rows.push([
      status.proxy,
      ...COLUMNS.map((c) => cell(status.types[c.type])),
      status.proxy_version || '-',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `${r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]! + 3))).join('')}\n`).join('');
}

function cell(type: TypeSyncStatus | undefined): string {
  if (!type || type.status === 'NOT SENT') return 'NOT SENT';
  const version = type.version_sent ? ` (${type.version_sent.slice(0, 8)})` : '';
  if (type.status !== 'NACKED') return `${type.status}${version}`;
  const error = (type.error ?? '').replace(/\s+/g, ' ').trim();
  return `NACKED${version}: ${error.length > MAX_ERROR ? `${error.slice(0, MAX_ERROR - 1)}…` : error}`;
}
