/**
 * Bookinfo's productpage, v1 (Istio's is Python Flask, productpage.py):
 *   GET  /, /index.html                 landing page
 *   GET  /productpage                   the book page: calls details, then reviews
 *   POST /login (form `username`)       sets cookie `user`, redirects to /productpage
 *   GET  /logout                        clears it, redirects to /productpage
 *   GET  /api/v1/products[/<id>[/reviews|/ratings]]  JSON
 *   GET  /health
 * While a user is signed in, every outbound call carries `end-user: <user>`: that header is
 * what Istio's virtual-service-reviews-test-v2.yaml matches to send jason to reviews v2.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHttpClient } from './http-client.js';
import type { HttpClient } from './http-client.js';
import { renderIndexPage, renderProductPage } from './productpage-html.js';
import type { Fetched, Product } from './productpage-html.js';
import { PRODUCTPAGE_EXTRA_HEADERS, pickHeaders, TRACE_HEADERS } from './propagation.js';
import { intFromEnv, isMainModule, listen, listenOptionsFromEnv, pathOf, peerUrl, readBody, runMain, sendJson, sendText } from './service.js';
import type { ListenOptions, RunningService } from './service.js';

export const DETAILS_UNAVAILABLE = 'Sorry, product details are currently unavailable for this book.';
export const REVIEWS_UNAVAILABLE = 'Sorry, product reviews are currently unavailable for this book.';
export const RATINGS_UNAVAILABLE = 'Sorry, product ratings are currently unavailable for this book.';

/** productpage.py's `for _ in range(2)`: kept on purpose, Istio's fault-injection task relies on it. */
export const REVIEWS_ATTEMPTS = 2;
/** productpage.py's `requests.get(..., timeout=3.0)` on every call. */
export const DEFAULT_TIMEOUT_MS = 3000;

export const PRODUCTS: readonly Product[] = [
  {
    id: 0,
    title: 'The Comedy of Errors',
    descriptionHtml:
      '<a href="https://en.wikipedia.org/wiki/The_Comedy_of_Errors">Wikipedia Summary</a>: The Comedy of Errors is one of <b>William Shakespeare\'s</b> early plays. It is his shortest and one of his most farcical comedies, with a major part of the humour coming from slapstick and mistaken identity, in addition to puns and word play.',
  },
];

export interface ProductPageOptions extends ListenOptions {
  /** Base URLs of the peers, default `http://details:9080` etc. */
  detailsUrl?: string;
  reviewsUrl?: string;
  ratingsUrl?: string;
  /** Per-attempt timeout of every outbound call; default 3000 ms. */
  timeoutMs?: number;
  /** Outbound client; default one honouring HTTP_PROXY from process.env. */
  client?: HttpClient;
}

const USER_COOKIE = 'user';

/** The signed-in user from the `user` cookie, '' when there is none. */
export function userFromCookie(header: string | undefined): string {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === USER_COOKIE) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return '';
}

function redirect(res: ServerResponse, cookie: string): void {
  res.writeHead(302, { location: '/productpage', 'set-cookie': cookie, 'content-length': 0 });
  res.end();
}

export function start(options: ProductPageOptions = {}): Promise<RunningService> {
  const detailsUrl = options.detailsUrl ?? peerUrl('details', {});
  const reviewsUrl = options.reviewsUrl ?? peerUrl('reviews', {});
  const ratingsUrl = options.ratingsUrl ?? peerUrl('ratings', {});
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ownClient = options.client === undefined;
  const client = options.client ?? createHttpClient();

  /** productpage.py's getForwardHeaders: trace context, a few request headers, and end-user from the session. */
  function forwardHeaders(req: IncomingMessage): Record<string, string> {
    const headers = pickHeaders(req.headers, [...TRACE_HEADERS, ...PRODUCTPAGE_EXTRA_HEADERS]);
    const user = userFromCookie(req.headers.cookie);
    if (user) headers['end-user'] = user;
    return headers;
  }

  /**
   * GETs `url` up to `attempts` times until one answers 200 with JSON. On failure the status is
   * the last answer's, or 500 when there was none, with `{error}` as body (productpage.py).
   */
  async function fetchJson(url: string, headers: Record<string, string>, attempts: number, error: string): Promise<Fetched> {
    let status = 500;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        const res = await client.request({ url, headers, timeoutMs });
        status = res.status;
        if (res.status === 200) return { status: 200, body: JSON.parse(res.body) as unknown };
      } catch {
        // Timeouts, refused connections and unparsable bodies count as an attempt without an answer.
        status = 500;
      }
    }
    return { status, body: { error } };
  }

  const details = (id: string, h: Record<string, string>): Promise<Fetched> =>
    fetchJson(`${detailsUrl}/details/${id}`, h, 1, DETAILS_UNAVAILABLE);
  const reviews = (id: string, h: Record<string, string>): Promise<Fetched> =>
    fetchJson(`${reviewsUrl}/reviews/${id}`, h, REVIEWS_ATTEMPTS, REVIEWS_UNAVAILABLE);
  const ratings = (id: string, h: Record<string, string>): Promise<Fetched> =>
    fetchJson(`${ratingsUrl}/ratings/${id}`, h, 1, RATINGS_UNAVAILABLE);

  async function productPage(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers = forwardHeaders(req);
    const product = PRODUCTS[0] as Product;
    // One after the other, as productpage.py does: the page takes details' time plus reviews'.
    const detailsResult = await details(String(product.id), headers);
    const reviewsResult = await reviews(String(product.id), headers);
    const html = renderProductPage({ product, details: detailsResult, reviews: reviewsResult, user: userFromCookie(req.headers.cookie) });
    sendText(res, 200, 'text/html; charset=utf-8', html);
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const user = form.get('username')?.trim() ?? '';
    redirect(res, user ? `${USER_COOKIE}=${encodeURIComponent(user)}; Path=/; HttpOnly; SameSite=Lax` : clearCookie());
  }

  function clearCookie(): string {
    return `${USER_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`;
  }

  async function api(path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (path === '/api/v1/products') {
      sendJson(res, 200, PRODUCTS);
      return true;
    }
    const match = /^\/api\/v1\/products\/([^/]+)(?:\/(reviews|ratings))?$/.exec(path);
    if (match?.[1] === undefined) return false;
    const call = match[2] === 'reviews' ? reviews : match[2] === 'ratings' ? ratings : details;
    const result = await call(match[1], forwardHeaders(req));
    sendJson(res, result.status, result.body);
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    if (path === '/login') {
      if (req.method === 'POST') await login(req, res);
      else methodNotAllowed(res, 'POST');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (isKnownPath(path)) methodNotAllowed(res, 'GET, HEAD');
      else sendText(res, 404, 'text/plain; charset=utf-8', 'Not Found\n');
      return;
    }
    if (path === '/' || path === '/index.html') sendText(res, 200, 'text/html; charset=utf-8', renderIndexPage());
    else if (path === '/health') sendText(res, 200, 'text/html; charset=utf-8', 'Product page is healthy');
    else if (path === '/productpage') await productPage(req, res);
    else if (path === '/logout') redirect(res, clearCookie());
    else if (!(await api(path, req, res))) sendText(res, 404, 'text/plain; charset=utf-8', 'Not Found\n');
  }

  return listen('productpage', handle, options).then((service) =>
    ownClient ? { ...service, close: () => service.close().then(() => client.close()) } : service,
  );
}

function isKnownPath(path: string): boolean {
  return ['/', '/index.html', '/health', '/productpage', '/logout'].includes(path) || path.startsWith('/api/v1/products');
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendText(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n', { allow });
}

export function optionsFromEnv(env: Readonly<Record<string, string | undefined>>): ProductPageOptions {
  return {
    ...listenOptionsFromEnv(env),
    detailsUrl: peerUrl('details', env),
    reviewsUrl: peerUrl('reviews', env),
    ratingsUrl: peerUrl('ratings', env),
    // For tests of the timeout behaviour; Bookinfo's value is 3 s.
    timeoutMs: intFromEnv(env, 'PRODUCTPAGE_TIMEOUT_MS', DEFAULT_TIMEOUT_MS),
    client: createHttpClient(env),
  };
}

export function main(): void {
  runMain('productpage', () => start(optionsFromEnv(process.env)));
}

if (isMainModule(import.meta.url)) main();
