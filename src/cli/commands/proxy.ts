import { readFile } from 'node:fs/promises';
import { formatBootstrapError, parseBootstrap } from '../../proxy/bootstrap/load-bootstrap.js';
import { ConfigRejected } from '../../proxy/config/config-error.js';
import { ProxyServer } from '../../proxy/server.js';
import { formatPath } from '../../xds/proto-json.js';
import type { SkeinCommand } from './command.js';

interface ProxyOptions {
  config: string;
  adminPort: string;
  drainTimeS: string;
}

export const proxyCommand: SkeinCommand = {
  name: 'proxy',
  kind: 'role',
  summary: 'run the sidecar / gateway proxy (Envoy v3 bootstrap)',
  register(program) {
    program
      .command(this.name)
      .description(`${this.summary}; SIGTERM drains then exits`)
      .requiredOption('-c, --config <file>', 'Envoy v3 bootstrap, YAML or JSON (static_resources, admin)')
      .option('--admin-port <port>', 'admin port when the bootstrap sets no admin address', '15000')
      .option(
        '--drain-time-s <seconds>',
        'how long connections may drain on shutdown or listener change',
        '45',
      )
      .action(async (options: ProxyOptions) => {
        process.exitCode = await runProxy(options);
      });
  },
};

async function runProxy(options: ProxyOptions): Promise<number> {
  let text: string;
  try {
    text = await readFile(options.config, 'utf8');
  } catch (err) {
    process.stderr.write(`skein proxy: cannot read ${options.config}: ${(err as Error).message}\n`);
    return 1;
  }
  const parsed = parseBootstrap(text, options.config);
  if (!parsed.ok) {
    for (const error of parsed.errors)
      process.stderr.write(`${formatBootstrapError(options.config, error)}\n`);
    return 1;
  }
  const drainTimeMs = Number(options.drainTimeS) * 1000;
  const server = new ProxyServer({ adminPort: Number(options.adminPort), drainTimeMs });
  try {
    await server.start(parsed.bootstrap);
  } catch (err) {
    if (err instanceof ConfigRejected) {
      for (const e of err.errors)
        process.stderr.write(`${options.config}: ${formatPath(e.path)}: ${e.message}\n`);
    } else {
      process.stderr.write(`skein proxy: ${(err as Error).message}\n`);
    }
    await server.shutdown(0);
    return 1;
  }
  const listeners = server.listenerManager
    .configs()
    .map(
      (l) => `${l.name}@${l.address?.socket_address?.address}:${server.listenerManager.boundPort(l.name)}`,
    );
  process.stderr.write(
    `skein proxy: LIVE; admin on port ${server.adminPort}; listeners ${listeners.join(', ')}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`skein proxy: ${signal}: draining (up to ${drainTimeMs / 1000}s)\n`);
      void server.shutdown(drainTimeMs).then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}
