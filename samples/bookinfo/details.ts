/**
 * Bookinfo's details service, v1: the book's facts as JSON (Istio's is Ruby WEBrick, details.rb).
 *   GET /details/<id>  → {"id": <id>, "author": "William Shakespeare", ...}
 *   GET /health        → {"status": "Details is healthy"}
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isMainModule, listen, listenOptionsFromEnv, pathOf, runMain, sendJson } from './service.js';
import type { ListenOptions, RunningService } from './service.js';

export type DetailsOptions = ListenOptions;

export function bookDetails(id: number): Record<string, string | number> {
  return {
    id,
    author: 'William Shakespeare',
    year: 1595,
    type: 'paperback',
    pages: 200,
    publisher: 'PublisherA',
    language: 'English',
    'ISBN-10': '1234567890',
    'ISBN-13': '123-1234567890',
  };
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = pathOf(req);
  if (path === '/health') {
    sendJson(res, 200, { status: 'Details is healthy' });
    return;
  }
  // details.rb mounts `/details`: any method, the id is the last path segment.
  if (path === '/details' || path.startsWith('/details/')) {
    const last = path.split('/').pop() ?? '';
    if (!/^-?\d+$/.test(last)) {
      sendJson(res, 400, { error: 'please provide numeric product id' });
      return;
    }
    sendJson(res, 200, bookDetails(Number(last)));
    return;
  }
  sendJson(res, 404, { error: 'not found' });
}

export function start(options: DetailsOptions = {}): Promise<RunningService> {
  return listen('details', handle, options);
}

export function optionsFromEnv(env: Readonly<Record<string, string | undefined>>): DetailsOptions {
  return listenOptionsFromEnv(env);
}

export function main(): void {
  runMain('details', () => start(optionsFromEnv(process.env)));
}

if (isMainModule(import.meta.url)) main();
