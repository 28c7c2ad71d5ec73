import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRetryPolicy } from '../router/retry-policy.js';
import { StatsStore } from '../stats/stats.js';
import { ClusterManager, type UpstreamCluster } from '../upstream/cluster-manager.js';
import { decodeProtoJson } from '../../xds/proto-json.js';
import type { RetryPolicy__Output } from '../../xds/generated/envoy/config/route/v3/RetryPolicy.js';
import type { Cluster__Output } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';
import { RetryState } from './retry-state.js';

function decode<T>(type: string, json: unknown): T {
  const result = decodeProtoJson<T>(type, json);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
}

function policy(json: Record<string, unknown>) {
  const errors: never[] = [];
  const compiled = compileRetryPolicy(decode<RetryPolicy__Output>('envoy.config.route.v3.RetryPolicy', json), [], errors);
  assert.deepEqual(errors, []);
  return compiled!;
}

function cluster(extra: Record<string, unknown> = {}): UpstreamCluster {
  const manager = new ClusterManager({ stats: new StatsStore().root() });
  const config = decode<Cluster__Output>('envoy.config.cluster.v3.Cluster', {
    name: 'c',
    type: 'STATIC',
    load_assignment: { cluster_name: 'c', endpoints: [] },
    ...extra,
  });
  const result = manager.addOrUpdateCluster(config);
  assert.ok(result.ok);
  return manager.get('c')!;
}

describe('retry state', () => {
  it('backs off with full jitter: [0, (2^n − 1) × base), capped at max_interval', () => {
    const state = RetryState.create(policy({ retry_on: '5xx', num_retries: 5 }), [], cluster(), () => 0.999)!;
    const delays = [1, 2, 3, 4, 5].map(() => state.backoffMs());
    assert.deepEqual(delays, [24, 74, 174, 249, 249]);
  });

  it('merges x-envoy-retry-on and lets x-envoy-max-retries override num_retries', () => {
    const state = RetryState.create(undefined, ['x-envoy-retry-on', 'retriable-4xx', 'x-envoy-max-retries', '0'], cluster())!;
    assert.equal(state.wouldRetryFromHeaders(409, []), true);
    assert.equal(state.shouldRetry(true), 'limit_exceeded');
  });

  it('is absent when nothing can be retried, or when retriable_request_headers do not match', () => {
    assert.equal(RetryState.create(undefined, [], cluster()), undefined);
    const onlyIdempotent = policy({
      retry_on: '5xx',
      retriable_request_headers: [{ name: ':method', string_match: { exact: 'GET' } }],
    });
    assert.equal(RetryState.create(onlyIdempotent, [':method', 'POST'], cluster()), undefined);
    assert.ok(RetryState.create(onlyIdempotent, [':method', 'GET'], cluster()));
  });

  it('gRPC retry_on values read grpc-status; retriable-headers read response headers', () => {
    const state = RetryState.create(
      policy({ retry_on: 'unavailable,retriable-headers', retriable_headers: [{ name: 'x-retry-me', present_match: true }] }),
      [],
      cluster(),
    )!;
    assert.equal(state.wouldRetryFromHeaders(200, ['grpc-status', '14']), true);
    assert.equal(state.wouldRetryFromHeaders(200, ['grpc-status', '2']), false);
    assert.equal(state.wouldRetryFromHeaders(200, ['x-retry-me', '1']), true);
    assert.equal(state.wouldRetryFromHeaders(503, []), false);
  });

  it('resets: overflow never, connect-failure only for connection failures, reset-before-request only before the request went out', () => {
    const connect = RetryState.create(policy({ retry_on: 'connect-failure' }), [], cluster())!;
    assert.equal(connect.wouldRetryFromReset('connection_failure', false), true);
    assert.equal(connect.wouldRetryFromReset('remote_reset', true), false);
    assert.equal(connect.wouldRetryFromReset('overflow', false), false);
    const before = RetryState.create(policy({ retry_on: 'reset-before-request' }), [], cluster())!;
    assert.equal(before.wouldRetryFromReset('remote_reset', false), true);
    assert.equal(before.wouldRetryFromReset('remote_reset', true), false);
  });

  it('a retry budget allows min_retry_concurrency concurrent retries when little is outstanding', () => {
    const budgeted = cluster({ circuit_breakers: { thresholds: [{ max_retries: 0, retry_budget: { min_retry_concurrency: 2 } }] } });
    const states = [1, 2, 3].map(() => RetryState.create(policy({ retry_on: '5xx' }), [], budgeted)!);
    assert.deepEqual(
      states.map((s) => s.shouldRetry(true)),
      ['retry', 'retry', 'overflow'],
    );
    states[0]!.release();
    assert.equal(RetryState.create(policy({ retry_on: '5xx' }), [], budgeted)!.shouldRetry(true), 'retry');
  });
});
