/**
 * Bookinfo's ratings service (Istio's is Node.js, ratings.js), kept in memory:
 *   GET  /ratings/<id> → {"id": <id>, "ratings": {"Reviewer1": 5, "Reviewer2": 4}}
 *   POST /ratings/<id> with such a `ratings` object as JSON body → stores it, answers as GET
 *   GET  /health       → {"status": "Ratings is healthy"}
 * SERVICE_VERSION: `v1` (default); the test variants `v-faulty` (503 for half the requests) and
 * `v-delayed` (7 s late for half the requests), as ratings.js has them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isMainModule, listen, listenOptionsFromEnv, pathOf, readBody, runMain, sendJson } from './service.js';
import type { ListenOptions, RunningService } from './service.js';

export const RATINGS_VERSIONS = ['v1', 'v-faulty', 'v-delayed'] as const;
export type RatingsVersion = (typeof RATINGS_VERSIONS)[number];

export interface RatingsOptions extends ListenOptions {
  version?: RatingsVersion;
  /** Draws in [0, 1) deciding which requests the test variants disturb. Default Math.random. */
  random?: () => number;
  /** How late `v-delayed` answers. Default 7000 ms, as ratings.js. */
  delayMs?: number;
}

function defaultRatings(id: number): { id: number; ratings: Record<string, number> } {
  return { id, ratings: { Reviewer1: 5, Reviewer2: 4 } };
}

function productId(path: string): number | undefined {
  const last = path.split('/').pop() ?? '';
  return /^\d+$/.test(last) ? Number(last) : undefined;
}

export function start(options: RatingsOptions = {}): Promise<RunningService> {
  const version = options.version ?? 'v1';
  const random = options.random ?? Math.random;
  const delayMs = options.delayMs ?? 7000;
  // Ratings posted by users, per product id (ratings.js keeps them in memory too).
  const posted = new Map<number, { id: number; ratings: unknown }>();
  const current = (id: number): unknown => posted.get(id) ?? defaultRatings(id);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    if (path === '/health' && req.method === 'GET') {
      sendJson(res, 200, { status: 'Ratings is healthy' });
      return;
    }
    if (!path.startsWith('/ratings/') || (req.method !== 'GET' && req.method !== 'POST')) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    const id = productId(path);
    if (id === undefined) {
      sendJson(res, 400, { error: 'please provide numeric product ID' });
      return;
    }
    if (req.method === 'POST') {
      let ratings: unknown;
      try {
        ratings = JSON.parse(await readBody(req));
      } catch {
        sendJson(res, 400, { error: 'please provide valid ratings JSON' });
        return;
      }
      posted.set(id, { id, ratings });
      sendJson(res, 200, current(id));
      return;
    }
    if (version === 'v-faulty' && random() <= 0.5) {
      sendJson(res, 503, { error: 'Service unavailable' });
      return;
    }
    if (version === 'v-delayed' && random() <= 0.5) {
      const timer = setTimeout(() => sendJson(res, 200, current(id)), delayMs);
      res.on('close', () => clearTimeout(timer));
      return;
    }
    sendJson(res, 200, current(id));
  }

  return listen('ratings', handle, options);
}

export function optionsFromEnv(env: Readonly<Record<string, string | undefined>>): RatingsOptions {
  const version = env['SERVICE_VERSION']?.trim() || 'v1';
  if (!(RATINGS_VERSIONS as readonly string[]).includes(version)) {
    throw new Error(`SERVICE_VERSION must be one of ${RATINGS_VERSIONS.join(', ')}, got '${version}'`);
  }
  return { ...listenOptionsFromEnv(env), version: version as RatingsVersion };
}

export function main(): void {
  runMain('ratings', () => start(optionsFromEnv(process.env)));
}

if (isMainModule(import.meta.url)) main();
