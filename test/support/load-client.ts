/**
 * A small closed-loop HTTP load client for "no request fails" tests: N concurrent keep-alive
 * workers send requests until stopped. A request that fails on a *reused* keep-alive socket
 * before any response byte is retried once on a new connection, as Node documents for
 * `request.reusedSocket` (RFC 9112 §9.3.1 allows retrying idempotent requests then); any
 * other error, or a non-2xx status, counts as a failure.
 */
import { Agent, request } from 'node:http';

export interface LoadResult {
  ok: number;
  failed: number;
  retriedOnReusedSocket: number;
  refused: number;
  errors: string[];
  bodies: Map<string, number>;
}

export interface LoadOptions {
  port: number;
  path?: string;
  host?: string;
  concurrency?: number;
  /** Stop a worker (not a failure) when a new connection is refused: the proxy stopped accepting. */
  stopOnRefused?: boolean;
}

export function runLoad(options: LoadOptions): { stop(): Promise<LoadResult> } {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 8 });
  const result: LoadResult = {
    ok: 0,
    failed: 0,
    retriedOnReusedSocket: 0,
    refused: 0,
    errors: [],
    bodies: new Map(),
  };
  let running = true;

  const once = (): Promise<'ok' | 'refused'> =>
    new Promise((resolve) => {
      const attempt = (retried: boolean) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: options.port,
            path: options.path ?? '/',
            agent,
            headers: { host: options.host ?? 'load.test' },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => {
              body += c;
            });
            res.on('end', () => {
              if (res.statusCode !== undefined && res.statusCode < 300) {
                result.ok++;
                result.bodies.set(body, (result.bodies.get(body) ?? 0) + 1);
              } else {
                result.failed++;
                result.errors.push(`status ${res.statusCode}: ${body}`);
              }
              resolve('ok');
            });
            res.on('error', (err) => {
              result.failed++;
              result.errors.push(`response error: ${err.message}`);
              resolve('ok');
            });
          },
        );
        req.on('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ECONNREFUSED' && options.stopOnRefused) {
            result.refused++;
            return resolve('refused');
          }
          if (
            req.reusedSocket &&
            !retried &&
            (err.code === 'ECONNRESET' || err.message === 'socket hang up')
          ) {
            result.retriedOnReusedSocket++;
            return attempt(true);
          }
          result.failed++;
          result.errors.push(`${err.code ?? ''} ${err.message}`);
          resolve('ok');
        });
        req.end();
      };
      attempt(false);
    });

  const workers = Array.from({ length: options.concurrency ?? 8 }, async () => {
    while (running) {
      if ((await once()) === 'refused') return;
    }
  });

  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return result;
    },
  };
}
