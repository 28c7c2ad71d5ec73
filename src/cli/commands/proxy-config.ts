/**
 * `skein proxy-config listeners|routes|clusters|endpoints|bootstrap`: a proxy's configuration
 * as istioctl's `proxy-config` shows it, read from the proxy's admin API (`/config_dump`, and
 * `/clusters?format=json` for endpoints). Works against any Envoy-shaped admin API, Skein's or
 * Envoy's. Istio's cluster names (`outbound|9080|v1|reviews.default.svc.cluster.local`) are
 * split into their columns; other names are shown whole.
 */
import type { SkeinCommand } from './command.js';

type Json = Record<string, unknown>;
const TYPES = ['listeners', 'routes', 'clusters', 'endpoints', 'bootstrap'] as const;
type ConfigType = (typeof TYPES)[number];

interface ProxyConfigOptions {
  admin: string;
  output: string;
}

export const proxyConfigCommand: SkeinCommand = {
  name: 'proxy-config',
  kind: 'operator',
  summary: "print a proxy's listeners, routes, clusters, endpoints or bootstrap (from its admin API)",
  register(program) {
    program
      .command(`${this.name} <type>`)
      .description(`${this.summary}; <type> is one of ${TYPES.join(', ')}`)
      .option('--admin <host:port>', "the proxy's admin address", '127.0.0.1:15000')
      .option('-o, --output <format>', 'short (a table) or json', 'short')
      .action(async (type: string, options: ProxyConfigOptions) => {
        process.exitCode = await runProxyConfig(type, options);
      });
  },
};

async function fetchJson(admin: string, path: string): Promise<Json> {
  const response = await fetch(`http://${admin}${path}`);
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return (await response.json()) as Json;
}

async function runProxyConfig(type: string, options: ProxyConfigOptions): Promise<number> {
  if (!(TYPES as readonly string[]).includes(type)) {
    process.stderr.write(`skein proxy-config: unknown type '${type}' (one of ${TYPES.join(', ')})\n`);
    return 1;
  }
  if (options.output !== 'short' && options.output !== 'json') {
    process.stderr.write(`skein proxy-config: unknown output format '${options.output}' (short or json)\n`);
    return 1;
  }
  let out: string;
  try {
    out = await render(type as ConfigType, options);
  } catch (err) {
    process.stderr.write(`skein proxy-config: cannot read the admin API at ${options.admin}: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(out);
  return 0;
}

async function render(type: ConfigType, options: ProxyConfigOptions): Promise<string> {
  const json = options.output === 'json';
  if (type === 'endpoints') {
    const statuses = ((await fetchJson(options.admin, '/clusters?format=json')).cluster_statuses ?? []) as Json[];
    return json ? toJson(statuses) : endpointsTable(statuses);
  }
  const dump = (await fetchJson(options.admin, '/config_dump')).configs as Json[];
  const section = (name: string): Json => dump.find((c) => String(c['@type']).endsWith(`.${name}`)) ?? {};
  switch (type) {
    case 'bootstrap':
      return toJson(section('BootstrapConfigDump').bootstrap ?? {});
    case 'clusters': {
      const clusters = clusterList(section('ClustersConfigDump'));
      return json ? toJson(clusters) : clustersTable(clusters);
    }
    case 'listeners': {
      const listeners = listenerList(section('ListenersConfigDump'));
      return json ? toJson(listeners.map((l) => l.listener)) : listenersTable(listeners);
    }
    case 'routes': {
      const routes = routeList(section('RoutesConfigDump'));
      return json ? toJson(routes) : routesTable(routes);
    }
  }
}

const toJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Columns padded as istioctl's tabwriter does (two spaces between columns). */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 2)))
      .join('')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const obj = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});

// --- clusters ------------------------------------------------------------------------------

function clusterList(section: Json): Json[] {
  return [
    ...asArray(section.static_clusters).map((c) => obj(c.cluster)),
    ...asArray(section.dynamic_active_clusters).map((c) => obj(c.cluster)),
    ...asArray(section.dynamic_warming_clusters).map((c) => ({ ...obj(c.cluster), warming: true })),
  ];
}

/** `direction|port|subset|fqdn` as Istio names clusters; other names whole. */
function istioClusterName(name: string): { fqdn: string; port: string; subset: string; direction: string } {
  const parts = name.split('|');
  if (parts.length === 4) {
    return { direction: parts[0] || '-', port: parts[1] || '-', subset: parts[2] || '-', fqdn: parts[3] || '-' };
  }
  return { fqdn: name, port: '-', subset: '-', direction: '-' };
}

/** Istio marks generated config with filter_metadata.istio.config = /apis/.../namespaces/NS/<kind>/NAME. */
function istioConfigName(metadata: unknown): string {
  const config = obj(obj(obj(metadata).filter_metadata).istio).config;
  const match = typeof config === 'string' ? /\/namespaces\/([^/]+)\/[^/]+\/([^/]+)$/.exec(config) : null;
  return match ? `${match[2]}.${match[1]}` : '';
}

function clustersTable(clusters: readonly Json[]): string {
  const rows = clusters.map((c) => {
    const name = istioClusterName(String(c.name ?? ''));
    const type = String(c.type ?? (c.cluster_type ? obj(c.cluster_type).name : 'STATIC'));
    return [name.fqdn, name.port, name.subset, name.direction, c.warming ? `${type} (warming)` : type, istioConfigName(c.metadata)];
  });
  return table(['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE'], rows);
}

// --- listeners -----------------------------------------------------------------------------

interface ListenerRow {
  readonly listener: Json;
  readonly state: string;
}

function listenerList(section: Json): ListenerRow[] {
  const rows: ListenerRow[] = asArray(section.static_listeners).map((l) => ({ listener: obj(l.listener), state: 'ACTIVE' }));
  for (const dynamic of asArray(section.dynamic_listeners)) {
    if (dynamic.active_state) rows.push({ listener: obj(obj(dynamic.active_state).listener), state: 'ACTIVE' });
    if (dynamic.warming_state) rows.push({ listener: obj(obj(dynamic.warming_state).listener), state: 'WARMING' });
    if (dynamic.error_state && !dynamic.active_state && !dynamic.warming_state) {
      rows.push({ listener: obj(obj(dynamic.error_state).failed_configuration), state: 'NACKED' });
    }
  }
  return rows;
}

function chainMatch(match: Json): string {
  const parts: string[] = [];
  const ranges = asArray(match.prefix_ranges).map((r) => `${r.address_prefix}/${r.prefix_len ?? 0}`);
  if (ranges.length > 0) parts.push(`Addr: ${ranges.join(',')}`);
  const names = asArray(match.server_names as unknown);
  if (names.length > 0) parts.push(`SNI: ${names.join(',')}`);
  if (match.transport_protocol) parts.push(`Trans: ${match.transport_protocol}`);
  const alpn = asArray(match.application_protocols as unknown);
  if (alpn.length > 0) parts.push(`App: ${alpn.join(',')}`);
  if (match.destination_port) parts.push(`Port: ${match.destination_port}`);
  return parts.length > 0 ? parts.join('; ') : 'ALL';
}

function chainDestination(chain: Json): string {
  const filter = asArray(chain.filters).at(-1);
  const config = obj(filter?.typed_config);
  const type = String(config['@type'] ?? '');
  if (type.endsWith('.HttpConnectionManager')) {
    if (config.rds) return `Route: ${obj(config.rds).route_config_name}`;
    const inline = obj(config.route_config);
    return `Inline Route: ${inline.name ?? '-'}`;
  }
  if (type.endsWith('.TcpProxy')) {
    if (config.cluster) return `Cluster: ${config.cluster}`;
    const weighted = asArray(obj(config.weighted_clusters).clusters).map((c) => String(c.name));
    return `Cluster: ${weighted.join(',')}`;
  }
  return filter ? String(filter.name ?? type) : '-';
}

function listenersTable(listeners: readonly ListenerRow[]): string {
  const rows: string[][] = [];
  for (const { listener, state } of listeners) {
    const socket = obj(obj(listener.address).socket_address);
    const address = String(socket.address ?? '');
    const port = String(socket.port_value ?? 0);
    const chains = [...asArray(listener.filter_chains)];
    if (listener.default_filter_chain) chains.push(obj(listener.default_filter_chain));
    if (chains.length === 0) rows.push([String(listener.name), address, port, '-', '-', state]);
    for (const chain of chains) {
      rows.push([String(listener.name), address, port, chainMatch(obj(chain.filter_chain_match)), chainDestination(chain), state]);
    }
  }
  return table(['NAME', 'ADDRESSES', 'PORT', 'MATCH', 'DESTINATION', 'STATE'], rows);
}

// --- routes --------------------------------------------------------------------------------

function routeList(section: Json): Json[] {
  return [
    ...asArray(section.static_route_configs).map((r) => obj(r.route_config)),
    ...asArray(section.dynamic_route_configs).map((r) => obj(r.route_config)),
  ];
}

function routeMatch(match: Json): string {
  if (match.prefix !== undefined) return `${match.prefix}*`;
  if (match.path !== undefined) return String(match.path);
  if (match.path_separated_prefix !== undefined) return `${match.path_separated_prefix}/*`;
  if (match.safe_regex) return String(obj(match.safe_regex).regex);
  // proto3 JSON leaves out an empty prefix: that is "match everything".
  return '/*';
}

function domains(list: readonly unknown[]): string {
  if (list.length <= 2) return list.join(', ');
  return `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...`;
}

function routesTable(routes: readonly Json[]): string {
  const rows: string[][] = [];
  for (const config of routes) {
    for (const host of asArray(config.virtual_hosts)) {
      for (const route of asArray(host.routes)) {
        rows.push([
          String(config.name ?? ''),
          String(host.name ?? ''),
          domains(asArray(host.domains as unknown)),
          routeMatch(obj(route.match)),
          istioConfigName(route.metadata),
        ]);
      }
    }
  }
  return table(['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE'], rows);
}

// --- endpoints -----------------------------------------------------------------------------

function endpointsTable(statuses: readonly Json[]): string {
  const rows: string[][] = [];
  for (const cluster of statuses) {
    for (const host of asArray(cluster.host_statuses)) {
      const socket = obj(obj(host.address).socket_address);
      const health = obj(host.health_status);
      rows.push([
        `${socket.address}:${socket.port_value}`,
        String(health.eds_health_status ?? 'UNKNOWN'),
        health.failed_outlier_check ? 'FAILED' : 'OK',
        String(cluster.name),
      ]);
    }
  }
  return table(['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER'], rows);
}
