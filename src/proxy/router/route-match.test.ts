import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteMatch__Output } from '../../xds/generated/envoy/config/route/v3/RouteMatch.js';
import { decodeProtoJson } from '../../xds/proto-json.js';
import type { ConfigError } from '../config/config-error.js';
import { RequestView } from './request-view.js';
import { compileRouteMatch, isGrpc, matchesRequest } from './route-match.js';
import { request } from './test-support.js';
import type { RouteRequest } from './types.js';

function compile(json: object, errors: ConfigError[] = []) {
  const decoded = decodeProtoJson<RouteMatch__Output>('envoy.config.route.v3.RouteMatch', json);
  assert.ok(decoded.ok, JSON.stringify(!decoded.ok && decoded.errors));
  return compileRouteMatch(decoded.value, ['match'], errors);
}

function matches(json: object, req: Partial<RouteRequest>, ignorePathParameters = false): boolean {
  const match = compile(json);
  assert.ok(match);
  const view = new RequestView(ignorePathParameters);
  view.reset(request(req));
  return matchesRequest(match, view);
}

describe('compileRouteMatch', () => {
  const cases: [string, object, Partial<RouteRequest>, boolean][] = [
    ['prefix', { prefix: '/api' }, { path: '/api/v1' }, true],
    ['prefix is not segment-aware', { prefix: '/api' }, { path: '/apis' }, true],
    ['prefix is case-sensitive by default', { prefix: '/api' }, { path: '/API' }, false],
    ['prefix case_sensitive false', { prefix: '/api', case_sensitive: false }, { path: '/API/x' }, true],
    ['prefix ignores the query', { prefix: '/a?b' }, { path: '/a?b=1' }, false],
    ['empty prefix matches everything', { prefix: '' }, { path: '/anything' }, true],
    ['path exact', { path: '/health' }, { path: '/health' }, true],
    ['path ignores query', { path: '/health' }, { path: '/health?x=1' }, true],
    ['path is not a prefix', { path: '/health' }, { path: '/health/x' }, false],
    ['path case_sensitive false', { path: '/Health', case_sensitive: false }, { path: '/hEALTH' }, true],
    [
      'safe_regex matches the whole path without query',
      { safe_regex: { regex: '/users/[0-9]+' } },
      { path: '/users/42?x=1' },
      true,
    ],
    [
      'safe_regex full match only',
      { safe_regex: { regex: '/users/[0-9]+' } },
      { path: '/users/42/x' },
      false,
    ],
    [
      'case_sensitive does not affect regex',
      { safe_regex: { regex: '/users' }, case_sensitive: false },
      { path: '/USERS' },
      false,
    ],
    ['path_separated_prefix exact', { path_separated_prefix: '/api' }, { path: '/api' }, true],
    ['path_separated_prefix followed by /', { path_separated_prefix: '/api' }, { path: '/api/v1' }, true],
    ['path_separated_prefix not mid-segment', { path_separated_prefix: '/api' }, { path: '/apis' }, false],
    ['path_separated_prefix before query', { path_separated_prefix: '/api' }, { path: '/api?x' }, true],
    [
      'path_separated_prefix case_sensitive false',
      { path_separated_prefix: '/Api', case_sensitive: false },
      { path: '/aPI/v1' },
      true,
    ],
    [
      'path_separated_prefix case_sensitive false, mid-segment',
      { path_separated_prefix: '/Api', case_sensitive: false },
      { path: '/apix' },
      false,
    ],
    [
      'grpc needs application/grpc',
      { prefix: '/', grpc: {} },
      { headers: ['content-type', 'application/grpc'] },
      true,
    ],
    [
      'grpc accepts +proto',
      { prefix: '/', grpc: {} },
      { headers: ['content-type', 'application/grpc+proto'] },
      true,
    ],
    [
      'grpc-web is not grpc',
      { prefix: '/', grpc: {} },
      { headers: ['content-type', 'application/grpc-web'] },
      false,
    ],
    ['grpc without content-type', { prefix: '/', grpc: {} }, {}, false],
    [
      'headers all must match',
      {
        prefix: '/',
        headers: [
          { name: 'a', present_match: true },
          { name: 'b', string_match: { exact: '1' } },
        ],
      },
      { headers: ['a', 'x', 'b', '1'] },
      true,
    ],
    [
      'headers one fails',
      {
        prefix: '/',
        headers: [
          { name: 'a', present_match: true },
          { name: 'b', string_match: { exact: '1' } },
        ],
      },
      { headers: ['a', 'x', 'b', '2'] },
      false,
    ],
    [
      ':method pseudo-header',
      { prefix: '/', headers: [{ name: ':method', string_match: { exact: 'POST' } }] },
      { method: 'POST' },
      true,
    ],
    [
      ':authority pseudo-header',
      { prefix: '/', headers: [{ name: ':authority', string_match: { exact: 'example.com' } }] },
      {},
      true,
    ],
    [
      'query parameter',
      { prefix: '/', query_parameters: [{ name: 'v', string_match: { exact: '2' } }] },
      { path: '/x?v=2' },
      true,
    ],
    [
      'query parameter missing',
      { prefix: '/', query_parameters: [{ name: 'v', string_match: { exact: '2' } }] },
      { path: '/x' },
      false,
    ],
    [
      'runtime_fraction 100%',
      { prefix: '/', runtime_fraction: { default_value: { numerator: 100 } } },
      {},
      true,
    ],
    [
      'runtime_fraction 0%',
      { prefix: '/', runtime_fraction: { default_value: { numerator: 0 } } },
      {},
      false,
    ],
  ];
  for (const [name, json, req, expected] of cases) it(name, () => assert.equal(matches(json, req), expected));

  it('ignore_path_parameters_in_path_matching cuts the path at the first ;', () => {
    assert.equal(matches({ path: '/a/b' }, { path: '/a/b;jsessionid=1' }), false);
    assert.equal(matches({ path: '/a/b' }, { path: '/a/b;jsessionid=1' }, true), true);
    assert.equal(matches({ path: '/a' }, { path: '/a;x/b' }, true), true);
  });

  it('runtime_fraction matches about numerator/denominator of requests', () => {
    const match = compile({
      prefix: '/',
      runtime_fraction: { default_value: { numerator: 2500, denominator: 'TEN_THOUSAND' } },
    });
    const view = new RequestView(false);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) {
      view.reset(request());
      if (matchesRequest(match!, view)) hits++;
    }
    // p = 0.25, sigma = sqrt(10000 * 0.25 * 0.75) ~= 43.3: allow 3 sigma
    assert.ok(Math.abs(hits - 2500) < 130, `hits ${hits}`);
  });

  it('shares one random value between routes of one request, as Envoy does', () => {
    const first = compile({ prefix: '/', runtime_fraction: { default_value: { numerator: 50 } } })!;
    const second = compile({ prefix: '/', runtime_fraction: { default_value: { numerator: 50 } } })!;
    const view = new RequestView(false);
    for (let i = 0; i < 200; i++) {
      view.reset(request());
      assert.equal(matchesRequest(first, view), matchesRequest(second, view));
    }
  });

  it('reports unsupported and invalid fields with their paths', () => {
    const errors: ConfigError[] = [];
    compile({ prefix: '/', tls_context: { presented: true } }, errors);
    compile({ path_separated_prefix: '/api/' }, errors);
    compile({ safe_regex: { regex: '(?=x)' } }, errors);
    compile({ connect_matcher: {} }, errors);
    compile({ prefix: '/', headers: [{ name: 'x', string_match: { prefix: '' } }] }, errors);
    assert.deepEqual(
      errors.map((e) => e.path.join('.')),
      [
        'match.tls_context',
        'match.path_separated_prefix',
        'match.safe_regex.regex',
        'match.connect_matcher',
        'match.headers.0.string_match.prefix',
      ],
    );
  });

  it('recognises gRPC content types exactly as Envoy', () => {
    assert.ok(isGrpc('application/grpc'));
    assert.ok(isGrpc('application/grpc+json'));
    assert.ok(!isGrpc('application/grpc;charset=utf-8'));
    assert.ok(!isGrpc('Application/grpc'));
  });
});
