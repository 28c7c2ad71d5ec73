import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileErrors, compileTable, request, singleHost } from './test-support.js';
import type { RouteRequest } from './types.js';

function redirect(match: object, action: object, req: Partial<RouteRequest>) {
  const table = compileTable(singleHost([{ match, redirect: action }]));
  const decision = table.route(request(req));
  assert.ok(decision && decision.route.action.kind === 'redirect');
  return decision.route.action.redirect(request(req));
}

describe('redirect routes (Http::Utility::newUri)', () => {
  const cases: [string, object, object, Partial<RouteRequest>, number, string][] = [
    [
      'https_redirect drops :80',
      { prefix: '/' },
      { https_redirect: true },
      { authority: 'a.com:80', path: '/x?q=1' },
      301,
      'https://a.com/x?q=1',
    ],
    [
      'https_redirect keeps a custom port',
      { prefix: '/' },
      { https_redirect: true },
      { authority: 'a.com:8080', path: '/x' },
      301,
      'https://a.com:8080/x',
    ],
    [
      'scheme_redirect to http drops :443',
      { prefix: '/' },
      { scheme_redirect: 'http' },
      { authority: 'a.com:443', scheme: 'https' },
      301,
      'http://a.com/',
    ],
    [
      'same scheme keeps :80',
      { prefix: '/' },
      { host_redirect: '', response_code: 'FOUND' },
      { authority: 'a.com:80' },
      302,
      'http://a.com:80/',
    ],
    [
      'host_redirect',
      { prefix: '/' },
      { host_redirect: 'b.com', response_code: 'SEE_OTHER' },
      { authority: 'a.com:80', path: '/p' },
      303,
      'http://b.com/p',
    ],
    [
      'port_redirect replaces the port',
      { prefix: '/' },
      { port_redirect: 8443, response_code: 'TEMPORARY_REDIRECT' },
      { authority: 'a.com:80', path: '/p' },
      307,
      'http://a.com:8443/p',
    ],
    [
      'port_redirect on an IPv6 host',
      { prefix: '/' },
      { port_redirect: 81 },
      { authority: '[::1]:80', path: '/p' },
      301,
      'http://[::1]:81/p',
    ],
    [
      'path_redirect keeps the query',
      { path: '/old-path-1' },
      { path_redirect: '/new-path-1' },
      { path: '/old-path-1?bar=1' },
      301,
      'http://example.com/new-path-1?bar=1',
    ],
    [
      'path_redirect with strip_query',
      { path: '/old-path-2' },
      { path_redirect: '/new-path-2', strip_query: true },
      { path: '/old-path-2?bar=1' },
      301,
      'http://example.com/new-path-2',
    ],
    [
      'path_redirect query wins and is not stripped',
      { path: '/old-path-3' },
      { path_redirect: '/new-path-3?foo=1', strip_query: true },
      { path: '/old-path-3?bar=1' },
      301,
      'http://example.com/new-path-3?foo=1',
    ],
    [
      'prefix_rewrite swaps the matched prefix',
      { prefix: '/old/' },
      { prefix_rewrite: '/new/', response_code: 'PERMANENT_REDIRECT' },
      { path: '/old/a/b?x=1' },
      308,
      'http://example.com/new/a/b?x=1',
    ],
    [
      'prefix_rewrite to / on a prefix without slash',
      { prefix: '/prefix' },
      { prefix_rewrite: '/' },
      { path: '/prefix/etc' },
      301,
      'http://example.com//etc',
    ],
    [
      'regex_rewrite keeps the query',
      { prefix: '/service' },
      { regex_rewrite: { pattern: { regex: '^/service/([^/]+)(/.*)$' }, substitution: '\\2/instance/\\1' } },
      { path: '/service/foo/v1/api?q' },
      301,
      'http://example.com/v1/api/instance/foo?q',
    ],
    [
      'strip_query without path_redirect',
      { prefix: '/' },
      { https_redirect: true, strip_query: true },
      { path: '/a?b=1' },
      301,
      'https://example.com/a',
    ],
    [
      'path_redirect without a leading slash gets one',
      { prefix: '/' },
      { path_redirect: 'rel' },
      { path: '/a' },
      301,
      'http://example.com/rel',
    ],
  ];
  for (const [name, match, action, req, status, location] of cases) {
    it(name, () => assert.deepEqual(redirect(match, action, req), { status, location }));
  }

  it('rejects a bad rewrite group', () => {
    const errors = compileErrors(
      singleHost([
        {
          match: { prefix: '/' },
          redirect: { regex_rewrite: { pattern: { regex: 'a' }, substitution: '\\1' } },
        },
      ]),
    );
    assert.deepEqual(
      errors.map((e) => e.path.join('.')),
      ['virtual_hosts.0.routes.0.redirect.regex_rewrite.substitution'],
    );
  });
});
