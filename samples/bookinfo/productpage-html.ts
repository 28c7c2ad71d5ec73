/**
 * productpage's HTML, server-rendered with inline CSS only (the demo works offline). The markup
 * follows Istio's productpage.html where tools look at it (`<title>Simple Bookstore App</title>`,
 * stars as `glyphicon glyphicon-star` / `glyphicon-star-empty` in the rating's colour, the error
 * texts) and adds stable ids and data attributes for tests; README.md documents the contract.
 */

export interface Product {
  id: number;
  title: string;
  /** Trusted HTML (a constant of this module's caller). */
  descriptionHtml: string;
}

/** A peer's answer as productpage keeps it: the HTTP status and the JSON body (or `{error}`). */
export interface Fetched {
  status: number;
  body: unknown;
}

export interface PageModel {
  product: Product;
  details: Fetched;
  reviews: Fetched;
  /** The signed-in user, '' when nobody is. */
  user: string;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;background:#f5f6f8}
nav{background:#1f2937;color:#e5e7eb;padding:.6rem 1.5rem;display:flex;align-items:center;justify-content:space-between}
nav .brand{font-weight:600;font-size:1.1rem;color:#fff;text-decoration:none}
nav a{color:#93c5fd}
nav form{display:flex;gap:.4rem;align-items:center}
nav input{padding:.3rem .5rem;border:1px solid #4b5563;border-radius:4px;background:#111827;color:#fff}
button{padding:.3rem .8rem;border:0;border-radius:4px;background:#2563eb;color:#fff;cursor:pointer}
main{max-width:1100px;margin:1.5rem auto;padding:0 1.5rem}
h3{text-align:center;color:#1d4ed8;margin:.5rem 0 1rem}
h4{text-align:center;color:#1d4ed8;margin:.2rem 0 .8rem}
.summary{background:#fff;border-radius:8px;padding:1rem 1.25rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.columns{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem;margin-top:1.5rem}
@media (max-width:720px){.columns{grid-template-columns:1fr}}
section{background:#fff;border-radius:8px;padding:1rem 1.25rem;box-shadow:0 1px 2px rgba(0,0,0,.08)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}
dt{font-weight:600}dd{margin:0}
blockquote{margin:0 0 1rem;padding:.5rem 1rem;border-left:4px solid #d1d5db}
blockquote small{display:block;color:#6b7280}
blockquote small::before{content:"\\2014 \\00A0"}
.stars{font-size:1.25rem;letter-spacing:.1rem}
.error{color:#b91c1c}
.served-by{color:#6b7280;font-size:.85rem;margin:0}
`;

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function layout(body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Simple Bookstore App</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

function navigation(user: string): string {
  const account = user
    ? `<span>Signed in as <span id="user" data-user="${escapeHtml(user)}">${escapeHtml(user)}</span> ( <a href="logout">sign out</a> )</span>`
    : `<form method="post" action="login" name="login_form" id="login">
  <input type="text" name="username" placeholder="User Name" aria-label="User Name">
  <input type="password" name="passwd" placeholder="Password" aria-label="Password">
  <button type="submit">Sign in</button>
</form>`;
  return `<nav><a class="brand" href="productpage">BookInfo Sample</a>${account}</nav>`;
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function errorText(body: unknown): string {
  const error = asRecord(body)['error'];
  return error === undefined ? '' : `\n<p class="error">${escapeHtml(error)}</p>`;
}

function detailsSection(details: Fetched): string {
  if (details.status !== 200) {
    return `<section id="details" data-status="${details.status}">
<h4>Error fetching product details!</h4>${errorText(details.body)}
</section>`;
  }
  const d = asRecord(details.body);
  const rows: [string, unknown][] = [
    ['Type:', d['type']],
    ['Pages:', d['pages']],
    ['Publisher:', d['publisher']],
    ['Language:', d['language']],
    ['ISBN-10:', d['ISBN-10']],
    ['ISBN-13:', d['ISBN-13']],
  ];
  return `<section id="details" data-status="200">
<h4>Book Details</h4>
<dl>
${rows.map(([label, value]) => `<dt>${label}</dt><dd>${escapeHtml(value)}</dd>`).join('\n')}
</dl>
</section>`;
}

function stars(count: number, color: string): string {
  const full = Math.max(0, Math.min(5, count));
  const spans = [
    ...Array.from({ length: full }, () => '<span class="glyphicon glyphicon-star" aria-hidden="true">&#9733;</span>'),
    ...Array.from({ length: 5 - full }, () => '<span class="glyphicon glyphicon-star-empty" aria-hidden="true">&#9734;</span>'),
  ];
  const c = escapeHtml(color);
  return `<span class="stars" data-color="${c}" style="color: ${c}" title="${full} of 5 stars">${spans.join('')}</span>`;
}

interface RatingView {
  stars?: number;
  color?: string;
  error?: string;
}

function ratingHtml(rating: RatingView | undefined): string {
  if (rating === undefined) return '';
  if (typeof rating.stars === 'number' && rating.stars > 0) return `\n${stars(rating.stars, rating.color ?? 'black')}`;
  if (rating.error !== undefined) return `\n<p class="rating-error"><i>${escapeHtml(rating.error)}</i></p>`;
  return '';
}

/**
 * Which reviews version the page shows, as Bookinfo defines the versions: no ratings → v1,
 * black stars → v2, red stars → v3; '' when that cannot be told (ratings failed, other colour).
 */
export function reviewsVersion(reviews: readonly { rating?: RatingView }[]): string {
  if (reviews.length === 0) return '';
  if (reviews.every((r) => r.rating === undefined)) return 'v1';
  const colors = new Set(reviews.map((r) => (typeof r.rating?.stars === 'number' ? r.rating.color : undefined)));
  if (colors.size !== 1) return '';
  const [color] = colors;
  return color === 'black' ? 'v2' : color === 'red' ? 'v3' : '';
}

function reviewsSection(fetched: Fetched): string {
  if (fetched.status !== 200) {
    return `<section id="reviews" data-status="${fetched.status}" data-reviews-version="">
<h4>Error fetching product reviews!</h4>${errorText(fetched.body)}
</section>`;
  }
  const body = asRecord(fetched.body);
  const list = Array.isArray(body['reviews']) ? body['reviews'].map(asRecord) : [];
  const reviews = list.map((r) => ({
    reviewer: r['reviewer'],
    text: r['text'],
    rating: r['rating'] === undefined ? undefined : (asRecord(r['rating']) as RatingView),
  }));
  const podname = typeof body['podname'] === 'string' ? body['podname'] : '';
  const items = reviews.map(
    (r) => `<blockquote class="review">
<p>${escapeHtml(r.text)}</p>
<small class="reviewer">${escapeHtml(r.reviewer)}</small>${ratingHtml(r.rating)}
</blockquote>`,
  );
  const servedBy = podname ? `\n<p class="served-by">Reviews served by: <span id="reviews-podname">${escapeHtml(podname)}</span></p>` : '';
  return `<section id="reviews" data-status="200" data-reviews-version="${reviewsVersion(reviews)}" data-podname="${escapeHtml(podname)}">
<h4>Book Reviews</h4>
${items.join('\n')}${servedBy}
</section>`;
}

export function renderProductPage(model: PageModel): string {
  return layout(`${navigation(model.user)}
<main>
<div class="summary">
<h3 id="product-title">${escapeHtml(model.product.title)}</h3>
<p>Summary: ${model.product.descriptionHtml}</p>
</div>
<div class="columns">
${detailsSection(model.details)}
${reviewsSection(model.reviews)}
</div>
</main>`);
}

/** The landing page at `/` (Istio's index.html: the call graph and links for a normal and a test user). */
export function renderIndexPage(): string {
  return layout(`<nav><a class="brand" href="productpage">BookInfo Sample</a></nav>
<main>
<div class="summary">
<h3>Hello! This is a simple bookstore application consisting of four services</h3>
<ul>
<li><b>productpage</b> calls <b>details</b> and <b>reviews</b></li>
<li><b>reviews</b> (v2 and v3) calls <b>ratings</b></li>
</ul>
<p>Click on one of the links below to auto generate a request to the backend as a real user or a tester.</p>
<p><a href="productpage?u=normal">Normal user</a> &middot; <a href="productpage?u=test">Test user</a></p>
</div>
</main>`);
}
