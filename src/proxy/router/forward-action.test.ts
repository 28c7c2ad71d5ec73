import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileErrors, compileTable, request, singleHost } from './test-support.js';
import type { ForwardAction, RouteRequest } from './types.js';

function action(match: object, route: object): ForwardAction {
  const table = compileTable(singleHost([{ match, route }]));
  return table.route(request())!.route.action as ForwardAction;
}

function rewrite(match: object, route: object, req: Partial<RouteRequest>): string {
  const table = compileTable(singleHost([{ match, route: { cluster: 'c', ...route } }]));
  const decision = table.route(request(req));
  assert.ok(decision, `no route for ${req.path}`);
  return (decision.route.action as ForwardAction).rewritePath(request(req));
}

describe('forward actions', () => {
  it('rewrites the matched prefix and keeps the query', () => {
    assert.equal(
      rewrite({ prefix: '/prefix/' }, { prefix_rewrite: '/' }, { path: '/prefix/etc?q=1' }),
      '/etc?q=1',
    );
    assert.equal(rewrite({ prefix: '/prefix' }, { prefix_rewrite: '/' }, { path: '/prefix' }), '/');
    assert.equal(rewrite({ prefix: '/prefix' }, { prefix_rewrite: '/' }, { path: '/prefix/etc' }), '//etc'); // Envoy's documented trailing-slash caveat
    assert.equal(
      rewrite({ prefix: '/API', case_sensitive: false }, { prefix_rewrite: '/v2' }, { path: '/api/x' }),
      '/v2/x',
    );
    assert.equal(rewrite({ path: '/old' }, { prefix_rewrite: '/new' }, { path: '/old?x' }), '/new?x');
    assert.equal(
      rewrite({ path_separated_prefix: '/api' }, { prefix_rewrite: '/v1' }, { path: '/api/users' }),
      '/v1/users',
    );
    assert.equal(
      rewrite({ safe_regex: { regex: '/u/[0-9]+' } }, { prefix_rewrite: '/user' }, { path: '/u/42?x=1' }),
      '/user?x=1',
    );
  });

  it('applies regex_rewrite to the path only', () => {
    const route = {
      regex_rewrite: { pattern: { regex: '^/service/([^/]+)(/.*)$' }, substitution: '\\2/instance/\\1' },
    };
    assert.equal(
      rewrite({ prefix: '/service' }, route, { path: '/service/foo/v1/api?a=/service/x/y' }),
      '/v1/api/instance/foo?a=/service/x/y',
    );
    assert.equal(rewrite({ prefix: '/' }, {}, { path: '/same?q' }), '/same?q');
  });

  it('exposes timeouts with Envoy defaults', () => {
    assert.equal(action({ prefix: '/' }, { cluster: 'c' }).timeoutMs, 15_000);
    assert.equal(action({ prefix: '/' }, { cluster: 'c' }).idleTimeoutMs, undefined);
    const timed = action({ prefix: '/' }, { cluster: 'c', timeout: '0s', idle_timeout: '2.5s' });
    assert.equal(timed.timeoutMs, 0);
    assert.equal(timed.idleTimeoutMs, 2500);
  });

  it('exposes host rewrites', () => {
    assert.deepEqual(
      action({ prefix: '/' }, { cluster: 'c', host_rewrite_literal: 'up.internal' }).hostRewrite,
      { kind: 'literal', value: 'up.internal' },
    );
    assert.deepEqual(action({ prefix: '/' }, { cluster: 'c', auto_host_rewrite: true }).hostRewrite, {
      kind: 'auto',
    });
    assert.equal(action({ prefix: '/' }, { cluster: 'c', auto_host_rewrite: false }).hostRewrite, undefined);
    assert.deepEqual(action({ prefix: '/' }, { cluster: 'c', host_rewrite_header: 'X-Host' }).hostRewrite, {
      kind: 'header',
      name: 'x-host',
    });
  });

  it('picks clusters by name or header', () => {
    assert.equal(action({ prefix: '/' }, { cluster: 'static' }).pickCluster(request()), 'static');
    const fromHeader = action({ prefix: '/' }, { cluster_header: 'X-Cluster' });
    assert.equal(
      fromHeader.pickCluster(request({ headers: ['x-cluster', 'one', 'x-cluster', 'two'] })),
      'one',
    );
    assert.equal(fromHeader.pickCluster(request()), undefined);
    assert.equal(fromHeader.pickCluster(request({ headers: ['x-cluster', ''] })), undefined);
  });

  it('compiles retry and mirror policies with Envoy defaults, and keeps deferred fields in raw', () => {
    const compiled = action(
      { prefix: '/' },
      {
        cluster: 'c',
        retry_policy: { retry_on: '5xx,unavailable', per_try_timeout: '0.25s' },
        request_mirror_policies: [{ cluster: 'mirror' }],
        max_stream_duration: { max_stream_duration: '0s' },
        cors: {},
        rate_limits: [{ actions: [{ remote_address: {} }] }],
      },
    );
    assert.equal(compiled.retryPolicy?.numRetries, 1, 'num_retries defaults to 1');
    assert.equal(compiled.retryPolicy?.perTryTimeoutMs, 250);
    assert.equal(compiled.retryPolicy?.baseIntervalMs, 25);
    assert.equal(compiled.retryPolicy?.maxIntervalMs, 250, 'max interval defaults to 10 × base');
    assert.equal(compiled.mirrorPolicies[0]?.cluster([]), 'mirror');
    assert.equal(compiled.mirrorPolicies[0]?.sampled(0.999), true, 'no runtime_fraction mirrors everything');
    assert.equal(compiled.maxStreamDurationMs, 0, 'an explicit 0 disables the HCM max_stream_duration');
    assert.equal(action({ prefix: '/' }, { cluster: 'c' }).maxStreamDurationMs, undefined);
    assert.ok(compiled.raw.cors);
  });

  it('rejects what it does not implement, naming the field', () => {
    const paths = (route: object) =>
      compileErrors(singleHost([{ match: { prefix: '/' }, route }])).map((e) => e.path.slice(4).join('.'));
    assert.deepEqual(paths({ cluster: 'c', upgrade_configs: [{ upgrade_type: 'websocket' }] }), [
      'route.upgrade_configs',
    ]);
    assert.deepEqual(paths({ cluster: 'c', max_stream_duration: { grpc_timeout_header_offset: '1s' } }), [
      'route.max_stream_duration.grpc_timeout_header_offset',
    ]);
    assert.deepEqual(paths({ cluster: 'c', retry_policy: { retry_on: '5xx,sometimes' } }), ['route.retry_policy.retry_on']);
    assert.deepEqual(paths({ cluster: 'c', retry_policy: { retry_on: '5xx', rate_limited_retry_back_off: {} } }), [
      'route.retry_policy.rate_limited_retry_back_off',
    ]);
    assert.deepEqual(paths({ cluster: 'c', request_mirror_policies: [{}] }), ['route.request_mirror_policies.0']);
    assert.deepEqual(paths({ cluster: 'c', priority: 'HIGH' }), ['route.priority']);
    assert.deepEqual(paths({ cluster: 'c', hedge_policy: {} }), ['route.hedge_policy']);
    assert.deepEqual(paths({ cluster_specifier_plugin: 'p' }), ['route.cluster_specifier_plugin']);
    assert.deepEqual(paths({ cluster: '' }), ['route.cluster']);
    assert.deepEqual(
      paths({
        cluster: 'c',
        prefix_rewrite: '/a',
        regex_rewrite: { pattern: { regex: 'a' }, substitution: 'b' },
      }),
      ['route.regex_rewrite'],
    );
    assert.deepEqual(
      paths({ cluster: 'c', host_rewrite_path_regex: { pattern: { regex: 'a' }, substitution: 'b' } }),
      ['route.host_rewrite_path_regex'],
    );
  });
});
