/**
 * Checks, before any load, that a path really answers the benchmark request from the origin:
 * status 200 and the payload's exact body size. A proxy that routes the request elsewhere
 * must not produce a (fast) figure.
 */
import net from 'node:net';
import { ResponseReader } from './http-response-reader.js';
import type { Payload } from './workload.js';
import { requestBytes } from './workload.js';

/** Null when fine, else what was wrong. */
export function checkRoute(port: number, payload: Payload): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const reader = new ResponseReader();
    const chunks: Buffer[] = [];
    const finish = (problem: string | null): void => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(3000, () => finish('no response within 3 s'));
    socket.once('error', (err) => finish(err.message));
    socket.once('connect', () => socket.write(requestBytes(payload.path)));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      try {
        reader.feed(chunk, (head) => {
          const all = Buffer.concat(chunks);
          const body = all.length - (all.indexOf('\r\n\r\n') + 4);
          if (head.status !== 200) finish(`status ${head.status}, expected 200`);
          else if (body !== payload.bytes) finish(`body of ${body} bytes, expected ${payload.bytes}`);
          else finish(null);
        });
      } catch (err) {
        finish(err instanceof Error ? err.message : String(err));
      }
    });
  });
}
