/**
 * What the four Bookinfo services share: listening, the one-line request log, graceful
 * shutdown on SIGTERM, the env-var configuration of peers, and small response helpers.
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

type Env = Readonly<Record<string, string | undefined>>;

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface ListenOptions {
  /** Default 0.0.0.0; the mesh runtime passes the workload's own loopback address. */
  host?: string;
  /** Default 9080, Bookinfo's port; 0 picks a free one (tests). */
  port?: number;
  /** Receives the one-line request log; default: stdout. */
  log?: (line: string) => void;
  /** After this long, shutdown closes connections still busy. Default 10 s. */
  shutdownGraceMs?: number;
}

export interface RunningService {
  /** `http://host:port` the service listens on. */
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish, then resolves. */
  close(): Promise<void>;
}

export const BOOKINFO_PORT = 9080;

export function logToStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Starts an HTTP server for `handler`, logging `METHOD path status duration` per request. */
export function listen(name: string, handler: Handler, options: ListenOptions): Promise<RunningService> {
  const log = options.log ?? logToStdout;
  let closing = false;
  const server = http.createServer((req, res) => {
    const started = performance.now();
    // Once shutdown has begun, connections are not kept alive past the in-flight request.
    if (closing) res.shouldKeepAlive = false;
    res.on('close', () => {
      const ms = Math.round(performance.now() - started);
      const status = res.writableFinished ? String(res.statusCode) : `${res.statusCode}(aborted)`;
      log(`${new Date().toISOString()} ${name} ${req.method ?? '-'} ${req.url ?? '-'} ${status} ${ms}ms`);
      // The connection turns idle only after this event; close it then.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        log(`${new Date().toISOString()} ${name} handler error: ${String(err)}`);
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? BOOKINFO_PORT, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      const close = (): Promise<void> =>
        new Promise<void>((done) => {
          closing = true;
          const force = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 10_000);
          force.unref();
          server.close(() => {
            clearTimeout(force);
            done();
          });
          server.closeIdleConnections();
        });
      resolve({ url: `http://${host}:${address.port}`, port: address.port, close });
    });
  });
}

/** `main()` glue: starts the service, and on SIGTERM/SIGINT drains it and exits 0. */
export function runMain(name: string, start: () => Promise<RunningService>): void {
  // Through a promise, so a configuration error thrown by `start` exits 1 with its message.
  Promise.resolve().then(start).then(
    (service) => {
      logToStdout(`${name} listening on ${service.url}`);
      const stop = (signal: string): void => {
        logToStdout(`${name} received ${signal}, draining`);
        void service.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
    (err: unknown) => {
      process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

/** True when the module at `moduleUrl` is the script node was started with. */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(script).href === moduleUrl;
}

/** `HOST`/`PORT` from the environment, as every service reads them. */
export function listenOptionsFromEnv(env: Env): ListenOptions {
  return { host: env['HOST'] ?? '0.0.0.0', port: intFromEnv(env, 'PORT', BOOKINFO_PORT) };
}

export function intFromEnv(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return value;
}

/**
 * The base URL of a peer, as Bookinfo builds it: `http://<NAME>_HOSTNAME<.SERVICES_DOMAIN>:9080`,
 * the hostname defaulting to the service name. Ours also accepts `host:port` in `<NAME>_HOSTNAME`
 * (then used as is), so tests and tools can point a service at any address.
 */
export function peerUrl(service: string, env: Env): string {
  const override = env[`${service.toUpperCase()}_HOSTNAME`]?.trim();
  const host = override === undefined || override === '' ? service : override;
  if (/:\d+$/.test(host) && (!host.includes('::') || host.startsWith('['))) return `http://${host}`;
  const domain = env['SERVICES_DOMAIN']?.trim() ? `.${env['SERVICES_DOMAIN'].trim()}` : '';
  return `http://${host}${domain}:${BOOKINFO_PORT}`;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, contentType: string, body: string, extra: Readonly<Record<string, string | string[]>> = {}): void {
  res.writeHead(status, { ...extra, 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Reads a request body (small forms and JSON only). */
export function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error(`request body over ${limit} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The request path without its query string. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
