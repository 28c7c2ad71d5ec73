/** A recording HTTP server for the Bookinfo tests: stands in for a peer or a proxy. */
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** The request-target exactly as sent (absolute-form when the client used a proxy). */
  target: string;
  headers: IncomingHttpHeaders;
  at: number;
}

export interface FakeServer {
  url: string;
  /** `127.0.0.1:<port>`, the form `<NAME>_HOSTNAME` takes. */
  hostPort: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type FakeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Answers every request with `handler`; a handler that never responds makes a hanging peer. */
export function fakeServer(handler: FakeHandler): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', target: req.url ?? '', headers: req.headers, at: performance.now() });
    handler(req, res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        hostPort: `127.0.0.1:${port}`,
        requests,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A port nothing listens on (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const s = await fakeServer(() => undefined);
  await s.close();
  return s.url;
}

/** Counts `class="glyphicon glyphicon-star"` (full stars; the empty ones are `glyphicon-star-empty`). */
export function fullStars(html: string): number {
  return html.match(/class="glyphicon glyphicon-star"/g)?.length ?? 0;
}

export function attribute(html: string, id: string, name: string): string | undefined {
  const tag = new RegExp(`<[^>]*\\bid="${id}"[^>]*>`).exec(html)?.[0];
  return tag === undefined ? undefined : new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];
}

export const quiet = (): void => undefined;
