/**
 * Test harness: a real Skein proxy in-process from Envoy bootstrap YAML (ports 0, so tests
 * run in parallel), real upstream servers on loopback, and a raw-socket client for byte-exact
 * requests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { parseBootstrap } from '../../src/proxy/bootstrap/load-bootstrap.js';
import { ProxyServer } from '../../src/proxy/server.js';

/** A port that was free a moment ago (bind 0, read, close): for processes that need a fixed port. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RunningProxy {
  readonly server: ProxyServer;
  /** Port a listener bound (by listener name). */
  port(listener?: string): number;
  readonly adminPort: number;
  close(): Promise<void>;
}

export async function startProxy(yaml: string): Promise<RunningProxy> {
  const parsed = parseBootstrap(yaml);
  if (!parsed.ok) throw new Error(`bad test bootstrap: ${JSON.stringify(parsed.errors)}`);
  const server = new ProxyServer({ adminPort: 0, drainTimeMs: 2000, log: () => {} });
  await server.start(parsed.bootstrap);
  return {
    server,
    port: (listener = 'main') => {
      const port = server.listenerManager.boundPort(listener);
      if (port === undefined) throw new Error(`no listener ${listener}`);
      return port;
    },
    adminPort: server.adminPort!,
    close: () => server.shutdown(0),
  };
}

export interface EchoRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: string;
  upstream: string;
  connection: number;
}

export interface Upstream {
  readonly port: number;
  readonly name: string;
  readonly requests: EchoRequest[];
  /** Distinct TCP connections seen. */
  connections: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, record: EchoRequest) => void;

/** An HTTP upstream that records requests and by default answers with them as JSON. */
export async function startUpstream(name: string, handler?: Handler): Promise<Upstream> {
  const requests: EchoRequest[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record: EchoRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
        upstream: name,
        connection: (req.socket as unknown as { skeinId: number }).skeinId,
      };
      requests.push(record);
      if (handler) return handler(req, res, record);
      const body = JSON.stringify(record);
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket) => {
    (socket as unknown as { skeinId: number }).skeinId = ++connections;
    result.connections = connections;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const result: Upstream = {
    port: (server.address() as AddressInfo).port,
    name,
    requests,
    connections: 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return result;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** Header names in order, lower-case, with repeats. */
  headerNames: string[];
  body: string;
  raw: string;
}

/** Parses one HTTP/1.1 response out of raw text (Content-Length or chunked or until close). */
export function parseRawResponse(raw: string): RawResponse | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const status = Number(statusLine!.split(' ')[1]);
  const headers: Record<string, string> = {};
  const headerNames: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    headerNames.push(name);
    headers[name] =
      headers[name] === undefined
        ? line.slice(colon + 1).trim()
        : `${headers[name]}, ${line.slice(colon + 1).trim()}`;
  }
  let body = raw.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    let out = '';
    let rest = body;
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      if (lineEnd < 0) break;
      const size = Number.parseInt(rest.slice(0, lineEnd), 16);
      if (!size) break;
      out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      rest = rest.slice(lineEnd + 2 + size + 2);
    }
    body = out;
  } else if (headers['content-length'] !== undefined) {
    body = body.slice(0, Number(headers['content-length']));
  }
  return { status, headers, headerNames, body, raw };
}

/**
 * Sends raw bytes on a fresh connection and collects everything until the server closes or
 * `idleMs` passes with no data (a kept-alive connection).
 */
export function rawExchange(port: number, data: string | Buffer, idleMs = 300): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(done, idleMs);
    };
    socket.on('connect', () => {
      socket.write(data);
      arm();
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      arm();
    });
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? done() : reject(err)));
  });
}

export async function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawResponse> {
  const all = { host: 'example.com', ...headers };
  const head = Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const raw = await rawExchange(port, `${method} ${path} HTTP/1.1\r\n${head}connection: close\r\n\r\n`, 5000);
  const parsed = parseRawResponse(raw);
  if (!parsed) throw new Error(`no response: ${JSON.stringify(raw)}`);
  return parsed;
}

/** One admin stat by its full name (NaN when the proxy has no such stat). */
export async function stat(proxy: { readonly adminPort: number }, name: string): Promise<number> {
  const { body } = await admin(proxy.adminPort, `/stats?filter=${encodeURIComponent(`^${name.replaceAll('.', '\\.')}$`)}`);
  const line = body.split('\n').find((l) => l.startsWith(`${name}: `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 2));
}

/** Polls `check` until it holds; fails the test naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Admin API GET/POST returning the body text. */
export async function admin(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: response.status, body: await response.text() };
}

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** An Envoy STATIC cluster on loopback ports. */
export function staticCluster(
  name: string,
  ports: readonly number[],
  extra: Record<string, unknown> = {},
): unknown {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: ports.map((port) => ({
            endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } },
          })),
        },
      ],
    },
    ...extra,
  };
}

/** The typed_config of an HTTP connection manager with the router filter. */
export function hcm(routeConfig: unknown, extra: Record<string, unknown> = {}): unknown {
  return {
    '@type': HCM,
    stat_prefix: 'ingress_http',
    route_config: routeConfig,
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
    ...extra,
  };
}

/** Bootstrap JSON with one HTTP listener named `main` on port 0. */
export function httpBootstrap(
  routeConfig: unknown,
  clusters: readonly unknown[],
  hcmExtra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    static_resources: {
      listeners: [
        {
          name: 'main',
          address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: hcm(routeConfig, hcmExtra),
                },
              ],
            },
          ],
        },
      ],
      clusters,
    },
  });
}

/** A route config with one virtual host for all domains. */
export function routes(...list: unknown[]): unknown {
  return { name: 'local', virtual_hosts: [{ name: 'all', domains: ['*'], routes: list }] };
}
