/**
 * HTTP pieces for mesh end-to-end tests: apps that say which version answered, requests sent
 * through a sidecar's HTTP proxy port in absolute form (`GET http://reviews:9080/ HTTP/1.1`, as
 * an app with HTTP_PROXY sends them), and a steady load that records every outcome with its time.
 */
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VersionServer {
  readonly address: string;
  readonly port: number;
  /** Requests answered so far. */
  readonly served: () => number;
  close(): Promise<void>;
}

/**
 * An app that answers every request with `{"version": …}` (and `x-version`), after `delayMs`
 * when given (httpbin's `/delay`-like slowness).
 */
export async function startVersionServer(address: string, port: number, version: string, delayMs = 0): Promise<VersionServer> {
  let served = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = () => {
        served++;
        res.writeHead(200, { 'content-type': 'application/json', 'x-version': version });
        res.end(JSON.stringify({ version, url: req.url, host: req.headers.host }));
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, resolve);
  });
  return {
    address,
    port: (server.address() as AddressInfo).port,
    served: () => served,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ProxiedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** `version` from a version server's JSON body, when it answered. */
  readonly version: string | undefined;
}

/** One request to `url` through the HTTP proxy at `proxy` (absolute-form request target). */
export function viaProxy(
  proxy: { readonly ip: string; readonly httpProxyPort: number },
  url: string,
  headers: Readonly<Record<string, string>> = {},
  agent: Agent | false = false,
): Promise<ProxiedResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: proxy.ip, port: proxy.httpProxyPort, path: url, agent, headers: { host: target.host, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        let version: string | undefined;
        try {
          version = (JSON.parse(body) as { version?: string }).version;
        } catch {
          version = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, version });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Outcome {
  /** ms since the load started. */
  readonly at: number;
  /** Which header set was sent (its index in `headerSets`). */
  readonly client: number;
  readonly status: number;
  readonly version: string | undefined;
  readonly error?: string;
}

/**
 * Closed-loop load: one keep-alive worker per header set, each sending requests back to back
 * (with `pauseMs` between them) until stopped. Every outcome is kept with its time.
 */
export class SteadyLoad {
  readonly outcomes: Outcome[] = [];
  readonly started = Date.now();
  private running = true;
  private readonly workers: Promise<void>[];
  private readonly agent = new Agent({ keepAlive: true });

  constructor(
    proxy: { readonly ip: string; readonly httpProxyPort: number },
    url: string,
    headerSets: readonly Readonly<Record<string, string>>[],
    pauseMs = 5,
  ) {
    this.workers = headerSets.map(async (headers, client) => {
      while (this.running) {
        try {
          const response = await viaProxy(proxy, url, headers, this.agent);
          this.outcomes.push({ at: Date.now() - this.started, client, status: response.status, version: response.version, ...(response.status === 200 ? {} : { error: response.body }) });
        } catch (err) {
          this.outcomes.push({ at: Date.now() - this.started, client, status: 0, version: undefined, error: (err as Error).message });
        }
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
  }

  /** ms since the load started (for marking when a change was made). */
  now(): number {
    return Date.now() - this.started;
  }

  failures(): Outcome[] {
    return this.outcomes.filter((o) => o.status !== 200);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
    this.agent.destroy();
  }
}

/** Polls `condition` until it is true (or throws after `timeoutMs`). */
export async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
