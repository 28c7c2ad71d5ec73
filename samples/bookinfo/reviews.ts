/**
 * Bookinfo's reviews service, v1/v2/v3 from one module (Istio's is Java Liberty,
 * LibertyRestEndpoint.java):
 *   GET /reviews/<id> → {"id": "<id>", "podname": ..., "clustername": ..., "reviews": [...]}
 *   GET /health       → {"status": "Reviews is healthy"}
 * v1 does not call ratings; v2 and v3 call `GET <ratings>/ratings/<id>` and show black (v2) or
 * red (v3) stars, or `{"error": "Ratings service is currently unavailable"}` when that call fails.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import os from 'node:os';
import { createHttpClient } from './http-client.js';
import type { HttpClient } from './http-client.js';
import { pickHeaders, REVIEWS_EXTRA_HEADERS, TRACE_HEADERS } from './propagation.js';
import { intFromEnv, isMainModule, listen, listenOptionsFromEnv, pathOf, peerUrl, runMain, sendJson } from './service.js';
import type { ListenOptions, RunningService } from './service.js';

export const RATINGS_UNAVAILABLE = 'Ratings service is currently unavailable';

export const REVIEWS_VERSIONS = ['v1', 'v2', 'v3'] as const;
export type ReviewsVersion = (typeof REVIEWS_VERSIONS)[number];

/** What each image sets in its Dockerfile: v1 ENABLE_RATINGS=false; v2 true; v3 true with STAR_COLOR=red. */
const VERSION_DEFAULTS: Readonly<Record<ReviewsVersion, { ratingsEnabled: boolean; starColor: string }>> = {
  v1: { ratingsEnabled: false, starColor: 'black' },
  v2: { ratingsEnabled: true, starColor: 'black' },
  v3: { ratingsEnabled: true, starColor: 'red' },
};

export interface ReviewsOptions extends ListenOptions {
  version?: ReviewsVersion;
  /** Default from `version`. */
  ratingsEnabled?: boolean;
  /** Default from `version`. */
  starColor?: string;
  /** Base URL of ratings, default `http://ratings:9080`. */
  ratingsUrl?: string;
  /** Default: 10 s when the stars are black, 2.5 s otherwise, as the Java service. */
  ratingsTimeoutMs?: number;
  /** Reported as `podname`; default the HOSTNAME env var (the pod name on Kubernetes), else the machine's. */
  podname?: string;
  /** Reported as `clustername`; default `Kubernetes`, Istio's default cluster ID. */
  clustername?: string;
  /** Outbound client; default one honouring HTTP_PROXY from process.env. */
  client?: HttpClient;
}

export interface Review {
  reviewer: string;
  text: string;
  rating?: { stars: number; color: string } | { error: string };
}

const REVIEWS: readonly { reviewer: string; text: string }[] = [
  { reviewer: 'Reviewer1', text: 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!' },
  { reviewer: 'Reviewer2', text: 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.' },
];

/** LibertyRestEndpoint.java: 10 s to ratings when the stars are black, 2.5 s otherwise. */
export function ratingsTimeoutFor(starColor: string): number {
  return starColor === 'black' ? 10_000 : 2_500;
}

export function start(options: ReviewsOptions = {}): Promise<RunningService> {
  const version = options.version ?? 'v1';
  const ratingsEnabled = options.ratingsEnabled ?? VERSION_DEFAULTS[version].ratingsEnabled;
  const starColor = options.starColor ?? VERSION_DEFAULTS[version].starColor;
  const ratingsUrl = options.ratingsUrl ?? peerUrl('ratings', {});
  const timeoutMs = options.ratingsTimeoutMs ?? ratingsTimeoutFor(starColor);
  const podname = options.podname ?? process.env['HOSTNAME'] ?? os.hostname();
  const clustername = options.clustername ?? 'Kubernetes';
  const ownClient = options.client === undefined;
  const client = options.client ?? createHttpClient();

  /** Stars per reviewer, or undefined when ratings could not be reached or answered badly. */
  async function fetchStars(id: string, req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
    try {
      const res = await client.request({
        url: `${ratingsUrl}/ratings/${id}`,
        headers: { accept: 'application/json', ...pickHeaders(req.headers, [...TRACE_HEADERS, ...REVIEWS_EXTRA_HEADERS]) },
        timeoutMs,
      });
      if (res.status !== 200) return undefined;
      const body: unknown = JSON.parse(res.body);
      const ratings = (body as { ratings?: unknown } | null)?.ratings;
      return typeof ratings === 'object' && ratings !== null ? (ratings as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    if (req.method === 'GET' && path === '/health') {
      sendJson(res, 200, { status: 'Reviews is healthy' });
      return;
    }
    const match = /^\/reviews\/(-?\d+)$/.exec(path);
    if (req.method !== 'GET' || match?.[1] === undefined) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    const id = String(Number(match[1]));
    const stars = ratingsEnabled ? await fetchStars(id, req) : undefined;
    const reviews: Review[] = REVIEWS.map(({ reviewer, text }) => {
      if (!ratingsEnabled) return { reviewer, text };
      // A reviewer missing from the ratings answer is shown as unavailable, as the Java service does.
      const n = stars?.[reviewer];
      const rating = typeof n === 'number' && Number.isInteger(n) ? { stars: n, color: starColor } : { error: RATINGS_UNAVAILABLE };
      return { reviewer, text, rating };
    });
    sendJson(res, 200, { id, podname, clustername, reviews });
  }

  return listen('reviews', handle, options).then((service) =>
    ownClient ? { ...service, close: () => service.close().then(() => client.close()) } : service,
  );
}

export function optionsFromEnv(env: Readonly<Record<string, string | undefined>>): ReviewsOptions {
  const version = env['SERVICE_VERSION']?.trim() || 'v1';
  if (!(REVIEWS_VERSIONS as readonly string[]).includes(version)) {
    throw new Error(`SERVICE_VERSION must be one of ${REVIEWS_VERSIONS.join(', ')}, got '${version}'`);
  }
  const options: ReviewsOptions = {
    ...listenOptionsFromEnv(env),
    version: version as ReviewsVersion,
    ratingsUrl: peerUrl('ratings', env),
    client: createHttpClient(env),
  };
  // Java's Boolean.valueOf: "true" in any case is true, anything else false.
  const enable = env['ENABLE_RATINGS']?.trim();
  if (enable) options.ratingsEnabled = enable.toLowerCase() === 'true';
  const color = env['STAR_COLOR']?.trim();
  if (color) options.starColor = color;
  if (env['RATINGS_TIMEOUT_MS']?.trim()) options.ratingsTimeoutMs = intFromEnv(env, 'RATINGS_TIMEOUT_MS', 0);
  if (env['HOSTNAME']?.trim()) options.podname = env['HOSTNAME'].trim();
  if (env['CLUSTER_NAME']?.trim()) options.clustername = env['CLUSTER_NAME'].trim();
  return options;
}

export function main(): void {
  runMain('reviews', () => start(optionsFromEnv(process.env)));
}

if (isMainModule(import.meta.url)) main();
