import { readFile } from 'node:fs/promises';
import {
  type BootstrapError,
  formatBootstrapError,
  parseBootstrap,
} from '../../proxy/bootstrap/load-bootstrap.js';
import {
  parseHostPort,
  parseLabels,
  XDS_CLUSTER_NAME,
  xdsBootstrap,
  xdsCluster,
  xdsDynamicResources,
  xdsNode,
  type XdsBootstrapOptions,
} from '../../proxy/bootstrap/xds-bootstrap.js';
import { checkDynamicResources } from '../../proxy/bootstrap/dynamic-resources.js';
import { type ConfigError, ConfigRejected } from '../../proxy/config/config-error.js';
import { ProxyServer } from '../../proxy/server.js';
import type { Bootstrap__Output } from '../../xds/generated/envoy/config/bootstrap/v3/Bootstrap.js';
import { formatPath } from '../../xds/proto-json.js';
import type { SkeinCommand } from './command.js';

interface ProxyOptions {
  config?: string;
  xds?: string;
  nodeId?: string;
  cluster?: string;
  namespace: string;
  labels?: string;
  instanceIps?: string;
  adminPort: string;
  adminAddress: string;
  serviceAccount?: string;
  metadata?: string;
  drainTimeS: string;
}

export const proxyCommand: SkeinCommand = {
  name: 'proxy',
  kind: 'role',
  summary: 'run the sidecar / gateway proxy (Envoy v3 bootstrap and/or an xDS server)',
  register(program) {
    program
      .command(this.name)
      .description(`${this.summary}; SIGTERM drains then exits`)
      .option('-c, --config <file>', 'Envoy v3 bootstrap, YAML or JSON (static_resources, dynamic_resources, admin)')
      .option('--xds <host:port>', 'configure over ADS from this xDS server (Istio-style bootstrap built in memory)')
      .option('--node-id <id>', 'node.id sent to the xDS server (Istio: sidecar~IP~POD.NAMESPACE~NAMESPACE.svc.cluster.local)')
      .option('--cluster <name>', 'node.cluster (default: <app label>.<namespace>, as Istio)')
      .option('--namespace <ns>', "the workload's namespace (node metadata NAMESPACE)", 'default')
      .option('--labels <k=v,...>', "the workload's labels (node metadata LABELS)")
      .option('--instance-ips <ip,...>', "the workload's IPs (node metadata INSTANCE_IPS; default: this host's)")
      .option('--service-account <name>', "the workload's service account (node metadata SERVICE_ACCOUNT)")
      .option('--metadata <k=v,...>', 'more node metadata, e.g. HTTP_PROXY_PORT=15080,SKEIN_APP_PORTS=9080:19080')
      .option('--admin-address <ip>', 'admin address when the bootstrap sets none', '127.0.0.1')
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

type Loaded = { ok: true; bootstrap: Bootstrap__Output; source: string } | { ok: false };

function printErrors(source: string, errors: readonly BootstrapError[]): void {
  for (const error of errors) process.stderr.write(`${formatBootstrapError(source, error)}\n`);
}

function xdsOptions(options: ProxyOptions, nodeId: string): XdsBootstrapOptions {
  return {
    xds: options.xds!,
    nodeId,
    cluster: options.cluster,
    namespace: options.namespace,
    labels: parseLabels(options.labels ?? ''),
    instanceIps: options.instanceIps?.split(',').map((ip) => ip.trim()).filter((ip) => ip !== ''),
    serviceAccount: options.serviceAccount,
    metadata: parseLabels(options.metadata ?? ''),
  };
}

/** The bootstrap from --config, --xds, or both (the file's resources plus the ADS ones). */
async function loadBootstrap(options: ProxyOptions): Promise<Loaded> {
  if (!options.config && !options.xds) {
    process.stderr.write('skein proxy: give --config FILE, --xds HOST:PORT, or both\n');
    return { ok: false };
  }
  if (options.xds) {
    try {
      parseHostPort(options.xds);
      parseLabels(options.labels ?? '');
      parseLabels(options.metadata ?? '');
    } catch (err) {
      process.stderr.write(`skein proxy: ${(err as Error).message}\n`);
      return { ok: false };
    }
  }
  if (!options.config) {
    if (!options.nodeId) {
      process.stderr.write('skein proxy: --xds needs --node-id\n');
      return { ok: false };
    }
    const source = `--xds ${options.xds}`;
    const parsed = parseBootstrap(JSON.stringify(xdsBootstrap(xdsOptions(options, options.nodeId))), source);
    if (!parsed.ok) printErrors(source, parsed.errors);
    return parsed.ok ? { ok: true, bootstrap: parsed.bootstrap, source } : { ok: false };
  }

  let text: string;
  try {
    text = await readFile(options.config, 'utf8');
  } catch (err) {
    process.stderr.write(`skein proxy: cannot read ${options.config}: ${(err as Error).message}\n`);
    return { ok: false };
  }
  const parsed = parseBootstrap(text, options.config);
  if (!parsed.ok) {
    printErrors(options.config, parsed.errors);
    return { ok: false };
  }
  if (!options.xds) return { ok: true, bootstrap: parsed.bootstrap, source: options.config };
  return withXds(parsed.bootstrap, options, options.config);
}

/** `--config` with `--xds`: the file's bootstrap gains the ADS stream (and the node, from flags). */
function withXds(file: Bootstrap__Output, options: ProxyOptions, source: string): Loaded {
  const fail = (message: string): Loaded => {
    process.stderr.write(`skein proxy: ${message}\n`);
    return { ok: false };
  };
  if (file.dynamic_resources) return fail(`--xds: ${source} already sets dynamic_resources`);
  if (file.static_resources?.clusters.some((c) => c.name === XDS_CLUSTER_NAME)) {
    return fail(`--xds: ${source} already has a cluster named ${XDS_CLUSTER_NAME}`);
  }
  const nodeId = options.nodeId ?? file.node?.id;
  if (!nodeId) return fail(`--xds needs --node-id (or node.id in ${source})`);
  const xds = xdsOptions(options, nodeId);
  const addition = {
    ...(options.nodeId || !file.node ? { node: xdsNode(xds) } : {}),
    dynamic_resources: xdsDynamicResources(),
    static_resources: { clusters: [xdsCluster(xds.xds)] },
  };
  const parsed = parseBootstrap(JSON.stringify(addition), '--xds');
  if (!parsed.ok) {
    printErrors('--xds', parsed.errors);
    return { ok: false };
  }
  const merged: Bootstrap__Output = {
    ...file,
    node: parsed.bootstrap.node ?? file.node,
    dynamic_resources: parsed.bootstrap.dynamic_resources,
    static_resources: {
      ...(file.static_resources ?? parsed.bootstrap.static_resources!),
      clusters: [...(file.static_resources?.clusters ?? []), ...parsed.bootstrap.static_resources!.clusters],
    },
  };
  // The merged whole is what must hold together (e.g. the file's node needs a cluster).
  const errors: ConfigError[] = [];
  checkDynamicResources(merged, errors);
  if (errors.length > 0) return fail(errors.map((e) => `--xds: ${formatPath(e.path)}: ${e.message}`).join('\n'));
  return { ok: true, bootstrap: merged, source };
}

async function runProxy(options: ProxyOptions): Promise<number> {
  const loaded = await loadBootstrap(options);
  if (!loaded.ok) return 1;
  const drainTimeMs = Number(options.drainTimeS) * 1000;
  const server = new ProxyServer({ adminHost: options.adminAddress, adminPort: Number(options.adminPort), drainTimeMs });
  if (options.xds) {
    process.stderr.write(`skein proxy: node ${loaded.bootstrap.node?.id}: configuring over ADS from ${options.xds}\n`);
  }
  const stopping = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const started = server.start(loaded.bootstrap).then(
    () => undefined,
    (err: unknown) => err,
  );
  const first = await Promise.race([started.then((err) => ({ err })), stopping.then((signal) => ({ signal }))]);
  if ('err' in first && first.err !== undefined) {
    const err = first.err;
    if (err instanceof ConfigRejected) {
      for (const e of err.errors) process.stderr.write(`${loaded.source}: ${formatPath(e.path)}: ${e.message}\n`);
    } else {
      process.stderr.write(`skein proxy: ${(err as Error).message}\n`);
    }
    await server.shutdown(0);
    return 1;
  }
  if ('err' in first) {
    const listeners = server.listenerManager
      .configs()
      .map((l) => `${l.name}@${l.address?.socket_address?.address}:${server.listenerManager.boundPort(l.name)}`);
    process.stderr.write(
      `skein proxy: LIVE; admin on port ${server.adminPort}; listeners ${listeners.join(', ') || '(none yet)'}\n`,
    );
  }
  const signal = 'signal' in first ? first.signal : await stopping;
  process.stderr.write(`skein proxy: ${signal}: draining (up to ${drainTimeMs / 1000}s)\n`);
  await server.shutdown(drainTimeMs);
  return 0;
}
