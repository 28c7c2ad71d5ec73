import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as details from './details.js';
import { attribute, closedPortUrl, fakeServer, fullStars, json, quiet } from './fake-server.test.util.js';
import type { FakeServer } from './fake-server.test.util.js';
import { createHttpClient } from './http-client.js';
import * as productpage from './productpage.js';
import * as ratings from './ratings.js';
import * as reviews from './reviews.js';
import type { RunningService } from './service.js';

const hostPort = (s: { url: string }): string => s.url.replace('http://', '');

const TRACE = {
  'x-request-id': 'req-1',
  traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  tracestate: 'congo=t61rcWkgMzE',
  'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
  'x-b3-spanid': 'e457b5a2e4d86bd1',
  'x-b3-parentspanid': '05e3ac9a4f6e3b90',
  'x-b3-sampled': '1',
  'x-b3-flags': '1',
  b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90',
  'x-ot-span-context': 'ot-ctx',
};

describe('bookinfo services over real sockets', () => {
  const running: RunningService[] = [];
  const fakes: FakeServer[] = [];
  let detailsSvc: RunningService;
  let ratingsSvc: RunningService;
  const reviewsSvc: Record<'v1' | 'v2' | 'v3', RunningService> = {} as Record<'v1' | 'v2' | 'v3', RunningService>;

  async function keep(service: Promise<RunningService>): Promise<RunningService> {
    const s = await service;
    running.push(s);
    return s;
  }
  async function fake(handler: Parameters<typeof fakeServer>[0]): Promise<FakeServer> {
    const f = await fakeServer(handler);
    fakes.push(f);
    return f;
  }
  /** productpage configured from env vars, as main() configures it. */
  function startProductPage(env: Record<string, string>): Promise<RunningService> {
    const options = productpage.optionsFromEnv({
      HOST: '127.0.0.1',
      PORT: '0',
      DETAILS_HOSTNAME: hostPort(detailsSvc),
      REVIEWS_HOSTNAME: hostPort(reviewsSvc.v2),
      RATINGS_HOSTNAME: hostPort(ratingsSvc),
      ...env,
    });
    return keep(productpage.start({ ...options, log: quiet }));
  }
  function startReviews(version: 'v1' | 'v2' | 'v3', env: Record<string, string> = {}): Promise<RunningService> {
    const options = reviews.optionsFromEnv({
      HOST: '127.0.0.1',
      PORT: '0',
      SERVICE_VERSION: version,
      RATINGS_HOSTNAME: hostPort(ratingsSvc),
      HOSTNAME: `reviews-${version}-5b7d6c8f9-abcde`,
      ...env,
    });
    return keep(reviews.start({ ...options, log: quiet }));
  }

  before(async () => {
    detailsSvc = await keep(details.start({ host: '127.0.0.1', port: 0, log: quiet }));
    ratingsSvc = await keep(ratings.start({ host: '127.0.0.1', port: 0, log: quiet }));
    for (const v of ['v1', 'v2', 'v3'] as const) reviewsSvc[v] = await startReviews(v);
  });
  after(async () => {
    await Promise.all([...running.map((s) => s.close()), ...fakes.map((f) => f.close())]);
  });

  it('productpage shows the book, its details and its reviews', async () => {
    const page = await startProductPage({});
    const res = await fetch(`${page.url}/productpage`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const html = await res.text();
    assert.match(html, /<title>Simple Bookstore App<\/title>/);
    assert.match(html, /<h3 id="product-title">The Comedy of Errors<\/h3>/);
    assert.equal(attribute(html, 'details', 'data-status'), '200');
    assert.match(html, /<dt>Publisher:<\/dt><dd>PublisherA<\/dd>/);
    assert.match(html, /<dt>ISBN-13:<\/dt><dd>123-1234567890<\/dd>/);
    assert.equal(attribute(html, 'reviews', 'data-status'), '200');
    assert.match(html, /An extremely entertaining play by Shakespeare/);
    assert.match(html, /Reviews served by: <span id="reviews-podname">reviews-v2-5b7d6c8f9-abcde<\/span>/);
    assert.doesNotMatch(html, /<script|<link /, 'nothing loaded from elsewhere: the page works offline');
  });

  it('renders no stars for reviews v1, black for v2 and red for v3', async () => {
    const expected = { v1: { stars: 0, color: undefined }, v2: { stars: 9, color: 'black' }, v3: { stars: 9, color: 'red' } };
    for (const version of ['v1', 'v2', 'v3'] as const) {
      const page = await startProductPage({ REVIEWS_HOSTNAME: hostPort(reviewsSvc[version]) });
      const html = await (await fetch(`${page.url}/productpage`)).text();
      assert.equal(attribute(html, 'reviews', 'data-reviews-version'), version);
      assert.equal(fullStars(html), expected[version].stars, `${version}: 5 + 4 full stars`);
      const colors = [...html.matchAll(/class="stars" data-color="([^"]+)"/g)].map((m) => m[1]);
      assert.deepEqual(colors, expected[version].color === undefined ? [] : [expected[version].color, expected[version].color]);
    }
  });

  it('reviews answers with the JSON shape of Istio\'s reviews service', async () => {
    const v2 = await (await fetch(`${reviewsSvc.v2.url}/reviews/0`)).json();
    assert.deepEqual(v2, {
      id: '0',
      podname: 'reviews-v2-5b7d6c8f9-abcde',
      clustername: 'Kubernetes',
      reviews: [
        { reviewer: 'Reviewer1', text: 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!', rating: { stars: 5, color: 'black' } },
        {
          reviewer: 'Reviewer2',
          text: 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.',
          rating: { stars: 4, color: 'black' },
        },
      ],
    });
    const v1 = (await (await fetch(`${reviewsSvc.v1.url}/reviews/0`)).json()) as { reviews: object[] };
    assert.ok(v1.reviews.every((r) => !('rating' in r)), 'v1 has no rating field');
    assert.deepEqual(await (await fetch(`${reviewsSvc.v1.url}/health`)).json(), { status: 'Reviews is healthy' });
    assert.equal((await fetch(`${reviewsSvc.v1.url}/reviews/abc`)).status, 404);
  });

  it('reviews v2 shows "Ratings service is currently unavailable" when ratings is down', async () => {
    const v2 = await startReviews('v2', { RATINGS_HOSTNAME: hostPort({ url: await closedPortUrl() }) });
    const body = (await (await fetch(`${v2.url}/reviews/0`)).json()) as { reviews: { rating: unknown }[] };
    assert.deepEqual(body.reviews.map((r) => r.rating), [
      { error: 'Ratings service is currently unavailable' },
      { error: 'Ratings service is currently unavailable' },
    ]);
    const page = await startProductPage({ REVIEWS_HOSTNAME: hostPort(v2) });
    const html = await (await fetch(`${page.url}/productpage`)).text();
    assert.equal(html.match(/<i>Ratings service is currently unavailable<\/i>/g)?.length, 2);
    assert.equal(fullStars(html), 0);
  });

  it('reviews gives up on a slow ratings after its timeout (10 s black, 2.5 s red by default)', async () => {
    assert.equal(reviews.ratingsTimeoutFor('black'), 10_000);
    assert.equal(reviews.ratingsTimeoutFor('red'), 2_500);
    const v3 = reviews.optionsFromEnv({ SERVICE_VERSION: 'v3' });
    assert.deepEqual([v3.ratingsEnabled, v3.starColor, v3.ratingsTimeoutMs], [undefined, undefined, undefined], 'v3 keeps its image defaults');
    const slow = await fake(() => undefined);
    const v3Fast = await startReviews('v3', { RATINGS_HOSTNAME: slow.hostPort, RATINGS_TIMEOUT_MS: '200' });
    const started = performance.now();
    const body = (await (await fetch(`${v3Fast.url}/reviews/0`)).json()) as { reviews: { rating: unknown }[] };
    const elapsed = performance.now() - started;
    assert.deepEqual(body.reviews[0]?.rating, { error: 'Ratings service is currently unavailable' });
    assert.ok(elapsed >= 190 && elapsed < 1500, `gave up after ${elapsed} ms`);
  });

  it('sends the signed-in user as end-user and propagates the tracing headers', async () => {
    const fakeReviews = await fake((_req, res) => json(res, 200, { id: '0', podname: 'fake', clustername: 'x', reviews: [] }));
    const fakeDetails = await fake((_req, res) => json(res, 200, details.bookDetails(0)));
    const page = await startProductPage({ REVIEWS_HOSTNAME: fakeReviews.hostPort, DETAILS_HOSTNAME: fakeDetails.hostPort });

    const login = await fetch(`${page.url}/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'jason', passwd: 'x' }),
      redirect: 'manual',
    });
    assert.equal(login.status, 302);
    assert.equal(login.headers.get('location'), '/productpage');
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    assert.equal(cookie, 'user=jason');

    const html = await (
      await fetch(`${page.url}/productpage`, { headers: { ...TRACE, cookie, 'user-agent': 'e2e-agent', 'end-user': 'mallory' } })
    ).text();
    assert.equal(attribute(html, 'user', 'data-user'), 'jason');
    for (const peer of [fakeReviews, fakeDetails]) {
      const seen = peer.requests.at(-1)?.headers ?? {};
      assert.equal(seen['end-user'], 'jason', 'end-user comes from the session, not from the request');
      assert.equal(seen['user-agent'], 'e2e-agent');
      assert.equal(seen.cookie, 'user=jason');
      for (const [name, value] of Object.entries(TRACE)) assert.equal(seen[name], value, name);
    }
    assert.equal(fakeReviews.requests.at(-1)?.target, '/reviews/0');
    assert.equal(fakeDetails.requests.at(-1)?.target, '/details/0');

    await fetch(`${page.url}/productpage`, { headers: { 'end-user': 'jason' } });
    assert.equal(fakeReviews.requests.at(-1)?.headers['end-user'], undefined, 'an anonymous request carries no end-user');

    const logout = await fetch(`${page.url}/logout`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(logout.status, 302);
    assert.match(logout.headers.get('set-cookie') ?? '', /^user=; Path=\/; Max-Age=0/);
  });

  it('reviews forwards end-user and the tracing headers to ratings', async () => {
    const fakeRatings = await fake((_req, res) => json(res, 200, { id: 0, ratings: { Reviewer1: 1, Reviewer2: 2 } }));
    const v2 = await startReviews('v2', { RATINGS_HOSTNAME: fakeRatings.hostPort });
    const body = (await (await fetch(`${v2.url}/reviews/0`, { headers: { ...TRACE, 'end-user': 'jason' } })).json()) as {
      reviews: { rating: unknown }[];
    };
    assert.deepEqual(body.reviews.map((r) => r.rating), [{ stars: 1, color: 'black' }, { stars: 2, color: 'black' }]);
    const seen = fakeRatings.requests[0];
    assert.equal(seen?.target, '/ratings/0');
    assert.equal(seen?.headers['end-user'], 'jason');
    for (const [name, value] of Object.entries(TRACE)) assert.equal(seen?.headers[name], value, name);
  });

  it('tries reviews twice with the per-attempt timeout, then shows the reviews-unavailable text', async () => {
    const hanging = await fake(() => undefined);
    const page = await startProductPage({ REVIEWS_HOSTNAME: hanging.hostPort, PRODUCTPAGE_TIMEOUT_MS: '200' });
    const started = performance.now();
    const html = await (await fetch(`${page.url}/productpage`)).text();
    const elapsed = performance.now() - started;
    assert.match(html, /Sorry, product reviews are currently unavailable for this book\./);
    assert.match(html, /Error fetching product reviews!/);
    assert.equal(hanging.requests.length, 2, 'two attempts');
    const [first, second] = hanging.requests;
    assert.ok(second !== undefined && first !== undefined && second.at - first.at >= 190, 'the second attempt follows the first one\'s timeout');
    assert.ok(elapsed >= 390 && elapsed < 2000, `page after ${elapsed} ms (2 × 200 ms)`);
    assert.equal(productpage.optionsFromEnv({}).timeoutMs, 3000, 'Bookinfo\'s 3 s by default');
  });

  it('passes the last failing status through the API and keeps the error shape', async () => {
    const failing = await fake((_req, res) => json(res, 503, { error: 'Service unavailable' }));
    const page = await startProductPage({ REVIEWS_HOSTNAME: failing.hostPort, DETAILS_HOSTNAME: failing.hostPort, RATINGS_HOSTNAME: failing.hostPort });
    const rev = await fetch(`${page.url}/api/v1/products/0/reviews`);
    assert.equal(rev.status, 503);
    assert.deepEqual(await rev.json(), { error: 'Sorry, product reviews are currently unavailable for this book.' });
    assert.equal(failing.requests.length, 2, 'reviews is tried twice');
    const det = await fetch(`${page.url}/api/v1/products/0`);
    assert.equal(det.status, 503);
    assert.deepEqual(await det.json(), { error: 'Sorry, product details are currently unavailable for this book.' });
    const rat = await fetch(`${page.url}/api/v1/products/0/ratings`);
    assert.deepEqual([rat.status, await rat.json()], [503, { error: 'Sorry, product ratings are currently unavailable for this book.' }]);
    assert.equal(failing.requests.length, 4, 'details and ratings once each');
  });

  it('shows the details-unavailable text when details is down (status 500 with no answer)', async () => {
    const page = await startProductPage({ DETAILS_HOSTNAME: hostPort({ url: await closedPortUrl() }) });
    const html = await (await fetch(`${page.url}/productpage`)).text();
    assert.equal(attribute(html, 'details', 'data-status'), '500');
    assert.match(html, /Error fetching product details!<\/h4>\n<p class="error">Sorry, product details are currently unavailable for this book\.<\/p>/);
    assert.equal(attribute(html, 'reviews', 'data-status'), '200');
  });

  it('serves the JSON API, the landing page and health', async () => {
    const page = await startProductPage({});
    const products = (await (await fetch(`${page.url}/api/v1/products`)).json()) as { id: number; title: string }[];
    assert.deepEqual(products.map((p) => [p.id, p.title]), [[0, 'The Comedy of Errors']]);
    assert.deepEqual(await (await fetch(`${page.url}/api/v1/products/0`)).json(), details.bookDetails(0));
    assert.deepEqual(details.bookDetails(0), {
      id: 0, author: 'William Shakespeare', year: 1595, type: 'paperback', pages: 200,
      publisher: 'PublisherA', language: 'English', 'ISBN-10': '1234567890', 'ISBN-13': '123-1234567890',
    });
    const rev = (await (await fetch(`${page.url}/api/v1/products/0/reviews`)).json()) as { podname: string };
    assert.equal(rev.podname, 'reviews-v2-5b7d6c8f9-abcde');
    assert.deepEqual(await (await fetch(`${page.url}/api/v1/products/0/ratings`)).json(), { id: 0, ratings: { Reviewer1: 5, Reviewer2: 4 } });
    assert.equal(await (await fetch(`${page.url}/health`)).text(), 'Product page is healthy');
    assert.match(await (await fetch(`${page.url}/`)).text(), /href="productpage\?u=normal"/);
    assert.equal((await fetch(`${page.url}/login`)).status, 405);
    assert.equal((await fetch(`${page.url}/nope`)).status, 404);
    assert.deepEqual(await (await fetch(`${detailsSvc.url}/health`)).json(), { status: 'Details is healthy' });
    const bad = await fetch(`${detailsSvc.url}/details/abc`);
    assert.deepEqual([bad.status, await bad.json()], [400, { error: 'please provide numeric product id' }]);
  });

  it('ratings stores posted ratings and rejects bad input', async () => {
    const own = await keep(ratings.start({ host: '127.0.0.1', port: 0, log: quiet }));
    const posted = await fetch(`${own.url}/ratings/1`, { method: 'POST', body: JSON.stringify({ Reviewer1: 1, Reviewer2: 3 }) });
    assert.deepEqual(await posted.json(), { id: 1, ratings: { Reviewer1: 1, Reviewer2: 3 } });
    assert.deepEqual(await (await fetch(`${own.url}/ratings/1`)).json(), { id: 1, ratings: { Reviewer1: 1, Reviewer2: 3 } });
    assert.deepEqual(await (await fetch(`${own.url}/ratings/2`)).json(), { id: 2, ratings: { Reviewer1: 5, Reviewer2: 4 } });
    const badJson = await fetch(`${own.url}/ratings/1`, { method: 'POST', body: '{' });
    assert.deepEqual([badJson.status, await badJson.json()], [400, { error: 'please provide valid ratings JSON' }]);
    const badId = await fetch(`${own.url}/ratings/x`);
    assert.deepEqual([badId.status, await badId.json()], [400, { error: 'please provide numeric product ID' }]);
    assert.deepEqual(await (await fetch(`${own.url}/health`)).json(), { status: 'Ratings is healthy' });
  });

  it('ratings v-faulty and v-delayed disturb the requests their draw selects', async () => {
    const draws = [0.2, 0.9];
    const next = (): number => draws.shift() ?? 0.9;
    const faulty = await keep(ratings.start({ host: '127.0.0.1', port: 0, log: quiet, version: 'v-faulty', random: next }));
    assert.equal((await fetch(`${faulty.url}/ratings/0`)).status, 503);
    assert.equal((await fetch(`${faulty.url}/ratings/0`)).status, 200);
    draws.push(0.1);
    const delayed = await keep(ratings.start({ host: '127.0.0.1', port: 0, log: quiet, version: 'v-delayed', random: next, delayMs: 300 }));
    const started = performance.now();
    assert.equal((await fetch(`${delayed.url}/ratings/0`)).status, 200);
    assert.ok(performance.now() - started >= 290);
    assert.throws(() => ratings.optionsFromEnv({ SERVICE_VERSION: 'v2' }), /SERVICE_VERSION must be one of/);
  });

  it('goes through HTTP_PROXY with the Kubernetes names, as inside the mesh', async () => {
    // A stand-in for the sidecar's outbound listener: routes on the Host header.
    const routes: Record<string, string> = { 'details:9080': detailsSvc.url, 'reviews:9080': reviewsSvc.v3.url };
    const client = createHttpClient({});
    const proxy = await fake((req, res) => {
      const upstream = routes[req.headers.host ?? ''];
      if (upstream === undefined) {
        json(res, 404, {});
        return;
      }
      client.request({ url: `${upstream}${new URL(req.url ?? '/').pathname}`, timeoutMs: 2000 }).then(
        (answer) => json(res, answer.status, JSON.parse(answer.body)),
        () => json(res, 503, {}),
      );
    });
    try {
      const options = productpage.optionsFromEnv({ HOST: '127.0.0.1', PORT: '0', HTTP_PROXY: proxy.url });
      const page = await keep(productpage.start({ ...options, log: quiet }));
      const html = await (await fetch(`${page.url}/productpage`)).text();
      assert.equal(attribute(html, 'reviews', 'data-reviews-version'), 'v3');
      assert.equal(attribute(html, 'details', 'data-status'), '200');
      assert.deepEqual(proxy.requests.map((r) => [r.target, r.headers.host]), [
        ['http://details:9080/details/0', 'details:9080'],
        ['http://reviews:9080/reviews/0', 'reviews:9080'],
      ]);
    } finally {
      client.close();
    }
  });

  it('finishes in-flight requests on close, closes the kept-alive connection and refuses new ones', async () => {
    const slowRatings = await fake((_req, res) => setTimeout(() => json(res, 200, { id: 0, ratings: { Reviewer1: 3, Reviewer2: 3 } }), 300));
    const v2 = await reviews.start({ host: '127.0.0.1', port: 0, log: quiet, version: 'v2', ratingsUrl: slowRatings.url });
    // A raw keep-alive connection, so what the server does with it after the response is visible.
    const socket = net.connect(v2.port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const ended = once(socket, 'end');
    socket.write('GET /reviews/0 HTTP/1.1\r\nHost: reviews:9080\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    const closing = performance.now();
    const closed = v2.close();
    await ended;
    // Without help Node keeps the connection for its 5 s keep-alive timeout and close() waits for it.
    assert.ok(performance.now() - closing < 1500, 'the connection is closed right after the in-flight answer');
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(received, /"rating":\{"stars":3,"color":"black"\}/, 'the in-flight request got its full answer');
    await closed;
    socket.destroy();
    await assert.rejects(fetch(`${v2.url}/health`));
  });

  it('main() reads PORT and HOST, logs each request and exits 0 on SIGTERM', async () => {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'details.js');
    const child = spawn(process.execPath, [script], { env: { ...process.env, HOST: '127.0.0.1', PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m?.[1] !== undefined) resolve(m[1]);
      });
      child.once('exit', () => reject(new Error(`exited early: ${out}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${url}/details/0`)).status, 200);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
    assert.match(out, /details GET \/details\/0 200 \d+ms/);
  });
});
