/**
 * Checks, before any load, that a path really answers the benchmark request from the origin:
 * status 200 and the payload's exact body size (Node's own HTTP client, so any legal framing
 * is accepted here). A proxy that routes the request elsewhere must not produce a fast figure.
 */
import http from 'node:http';
import { BENCH_HOST, EXTRA_HEADERS, type Payload } from './workload.js';

/** Null when fine, else what was wrong. */
export function checkRoute(port: number, payload: Payload): Promise<string | null> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { host: BENCH_HOST };
    for (const [name, value] of EXTRA_HEADERS) headers[name] = value;
    const req = http.get(
      { host: '127.0.0.1', port, path: payload.path, headers, agent: false, timeout: 3000 },
      (res) => {
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) resolve(`status ${res.statusCode}, expected 200`);
          else if (size !== payload.bytes) resolve(`body of ${size} bytes, expected ${payload.bytes}`);
          else resolve(null);
        });
        res.on('error', (err) => resolve(err.message));
      },
    );
    req.once('timeout', () => {
      req.destroy();
      resolve('no response within 3 s');
    });
    req.once('error', (err) => resolve(err.message));
  });
}
