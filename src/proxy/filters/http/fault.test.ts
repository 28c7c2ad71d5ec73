import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { HTTPFault__Output } from '../../../xds/generated/envoy/extensions/filters/http/fault/v3/HTTPFault.js';
import { decodeProtoJson } from '../../../xds/proto-json.js';
import type { ConfigError } from '../../config/config-error.js';
import { StatsStore } from '../../stats/stats.js';
import { FaultFilter, FaultFilterConfig, faultFilterFactory } from './fault.js';
import { compileFaultSettings, HTTP_FAULT } from './fault-settings.js';
import { type Random, inFraction } from './fractional-percent.js';
import { filterErrors, routeTable, sequence, TestStream } from './test-stream.test.util.js';

const FAULT_TYPE = `type.googleapis.com/${HTTP_FAULT}`;
const NAME = 'envoy.filters.http.fault';
const PERCENT_100 = { numerator: 100, denominator: 'HUNDRED' };

function setup(fault: object, random: Random = Math.random, routes?: unknown[]) {
  const decoded = decodeProtoJson<HTTPFault__Output>(HTTP_FAULT, fault);
  assert.ok(decoded.ok, JSON.stringify(!decoded.ok && decoded.errors));
  const errors: ConfigError[] = [];
  const settings = compileFaultSettings(decoded.value, [], errors);
  assert.deepEqual(errors, []);
  const store = new StatsStore();
  const config = new FaultFilterConfig(settings!, NAME, store.root().scope('http.test.fault.'), random);
  const table = routeTable(routes ?? [{ match: { prefix: '/' }, route: { cluster: 'web' } }]);
  const stat = (name: string) => (store.stats.get(`http.test.fault.${name}`) as { value: number } | undefined)?.value;
  return { config, table, stat, filter: () => new FaultFilter(config) };
}

describe('fault filter', () => {
  it('aborts with http_status, flag FI and details fault_filter_abort', () => {
    const { table, stat, filter } = setup({ abort: { http_status: 503, percentage: PERCENT_100 } });
    const stream = new TestStream(table);
    assert.equal(filter().decodeHeaders(stream.http), 'stop');
    assert.deepEqual(stream.localReply, {
      status: 503,
      body: 'fault filter abort',
      flag: 'FI',
      details: 'fault_filter_abort',
      headers: [],
    });
    assert.equal(stat('aborts_injected'), 1);
  });

  it('injects nothing when the percentage is unset (0 %)', () => {
    const { table, filter } = setup({ abort: { http_status: 503 }, delay: { fixed_delay: '1s' } });
    const stream = new TestStream(table);
    assert.equal(filter().decodeHeaders(stream.http), 'continue');
    assert.equal(stream.localReply, undefined);
  });

  it('aborts the fraction its percentage names, by Envoy\'s random % denominator < numerator', () => {
    const fraction = { numerator: 25, denominator: 10_000 };
    assert.equal(inFraction(fraction, sequence(24 / 10_000)), true);
    assert.equal(inFraction(fraction, sequence(25 / 10_000)), false);
    assert.equal(inFraction({ numerator: 200, denominator: 100 }, sequence(0.999)), true);
    const { table, stat, filter } = setup(
      { abort: { http_status: 500, percentage: { numerator: 500_000, denominator: 'MILLION' } } },
      sequence(0.1, 0.7, 0.4999, 0.5),
    );
    const statuses = [0, 1, 2, 3].map(() => {
      const stream = new TestStream(table);
      filter().decodeHeaders(stream.http);
      return stream.localReply?.status;
    });
    assert.deepEqual(statuses, [500, undefined, 500, undefined]);
    assert.equal(stat('aborts_injected'), 2);
  });

  it('delays, sets DI and continues when the timer fires; the fault is active meanwhile', async () => {
    const { table, stat, filter } = setup({ delay: { fixed_delay: '0.03s', percentage: PERCENT_100 } });
    const stream = new TestStream(table);
    const started = performance.now();
    assert.equal(filter().decodeHeaders(stream.http), 'stop');
    assert.deepEqual(stream.responseFlags, ['DI']);
    assert.equal(stat('active_faults'), 1);
    assert.equal(stat('delays_injected'), 1);
    await sleep(60);
    assert.equal(stream.continued, 1);
    assert.ok(performance.now() - started >= 29);
    assert.equal(stat('active_faults'), 0);
    assert.equal(stream.localReply, undefined);
  });

  it('aborts after the delay when both are configured (DI then FI)', async () => {
    const { table, filter } = setup({
      delay: { fixed_delay: '0.01s', percentage: PERCENT_100 },
      abort: { http_status: 418, percentage: PERCENT_100 },
    });
    const stream = new TestStream(table);
    assert.equal(filter().decodeHeaders(stream.http), 'stop');
    const reply = () => stream.localReply;
    assert.equal(reply(), undefined);
    await sleep(40);
    assert.equal(reply()?.status, 418);
    assert.deepEqual(stream.responseFlags, ['DI', 'FI']);
    assert.equal(stream.continued, 0);
  });

  it('releases the timer and the active fault when the stream ends during the delay', async () => {
    const { table, stat, filter } = setup({ delay: { fixed_delay: '0.02s', percentage: PERCENT_100 } });
    const stream = new TestStream(table);
    const f = filter();
    f.decodeHeaders(stream.http);
    f.onDestroy?.();
    assert.equal(stat('active_faults'), 0);
    await sleep(40);
    assert.equal(stream.continued, 0);
  });

  it('reads x-envoy-fault-* headers only when header_abort / header_delay is configured', async () => {
    const headerControlled = setup({ abort: { header_abort: {}, percentage: PERCENT_100 } });
    const aborted = new TestStream(headerControlled.table, { headers: ['x-envoy-fault-abort-request', '429'] });
    headerControlled.filter().decodeHeaders(aborted.http);
    assert.equal(aborted.localReply?.status, 429);
    for (const headers of [[], ['x-envoy-fault-abort-request', '600'], ['x-envoy-fault-abort-request', 'x']]) {
      const stream = new TestStream(headerControlled.table, { headers });
      assert.equal(headerControlled.filter().decodeHeaders(stream.http), 'continue');
    }
    // The -percentage header may only lower the configured percentage.
    const lowered = new TestStream(headerControlled.table, {
      headers: ['x-envoy-fault-abort-request', '503', 'x-envoy-fault-abort-request-percentage', '0'],
    });
    assert.equal(headerControlled.filter().decodeHeaders(lowered.http), 'continue');

    const fixed = setup({ abort: { http_status: 503, percentage: { numerator: 0 } } });
    const ignored = new TestStream(fixed.table, {
      headers: ['x-envoy-fault-abort-request', '429', 'x-envoy-fault-abort-request-percentage', '100'],
    });
    assert.equal(fixed.filter().decodeHeaders(ignored.http), 'continue');

    const delayed = setup({ delay: { header_delay: {}, percentage: PERCENT_100 } });
    const stream = new TestStream(delayed.table, { headers: ['x-envoy-fault-delay-request', '10'] });
    assert.equal(delayed.filter().decodeHeaders(stream.http), 'stop');
    await sleep(30);
    assert.equal(stream.continued, 1);
    const noHeader = new TestStream(delayed.table);
    assert.equal(delayed.filter().decodeHeaders(noHeader.http), 'continue');
  });

  it('answers a gRPC request with a trailers-only grpc-status', () => {
    const { table, filter } = setup({ abort: { grpc_status: 14, percentage: PERCENT_100 } });
    const grpc = new TestStream(table, { headers: ['content-type', 'application/grpc+proto'] });
    filter().decodeHeaders(grpc.http);
    assert.deepEqual(grpc.localReply?.headers, [
      'content-type',
      'application/grpc',
      'grpc-status',
      '14',
      'grpc-message',
      'fault filter abort',
    ]);
    assert.equal(grpc.localReply?.status, 200);
    const http = setup({ abort: { http_status: 503, percentage: PERCENT_100 } });
    const mapped = new TestStream(http.table, { headers: ['content-type', 'application/grpc'] });
    http.filter().decodeHeaders(mapped.http);
    assert.equal(mapped.localReply?.headers[3], '14'); // 503 maps to UNAVAILABLE
    const plain = new TestStream(table);
    filter().decodeHeaders(plain.http);
    assert.equal(plain.localReply?.status, 200);
    assert.equal(plain.localReply?.body, 'fault filter abort');
  });

  it('restricts faults by headers, downstream_nodes and upstream_cluster', () => {
    const routes = [
      { match: { prefix: '/web' }, route: { cluster: 'web' } },
      { match: { prefix: '/db' }, route: { cluster: 'db' } },
      { match: { prefix: '/direct' }, direct_response: { status: 200 } },
    ];
    const { table, filter } = setup(
      {
        abort: { http_status: 503, percentage: PERCENT_100 },
        headers: [{ name: 'x-user', string_match: { exact: 'jason' } }],
        downstream_nodes: ['productpage'],
        upstream_cluster: 'web',
      },
      Math.random,
      routes,
    );
    const outcome = (path: string, headers: string[]) => {
      const stream = new TestStream(table, { path, headers });
      return filter().decodeHeaders(stream.http);
    };
    const matching = ['x-user', 'jason', 'x-envoy-downstream-service-node', 'productpage'];
    assert.equal(outcome('/web', matching), 'stop');
    assert.equal(outcome('/db', matching), 'continue');
    assert.equal(outcome('/direct', matching), 'continue');
    assert.equal(outcome('/web', ['x-user', 'jason']), 'continue');
    assert.equal(outcome('/web', ['x-user', 'mary', 'x-envoy-downstream-service-node', 'productpage']), 'continue');
  });

  it('stops injecting at max_active_faults and counts faults_overflow', async () => {
    const { table, stat, filter } = setup({
      delay: { fixed_delay: '0.02s', percentage: PERCENT_100 },
      max_active_faults: 1,
    });
    const first = new TestStream(table);
    const second = new TestStream(table);
    assert.equal(filter().decodeHeaders(first.http), 'stop');
    assert.equal(filter().decodeHeaders(second.http), 'continue');
    assert.equal(stat('faults_overflow'), 1);
    await sleep(40);
    assert.equal(filter().decodeHeaders(new TestStream(table).http), 'stop');
  });

  it('counts per downstream cluster unless disable_downstream_cluster_stats', () => {
    const store = new StatsStore();
    const decoded = decodeProtoJson<HTTPFault__Output>(HTTP_FAULT, { abort: { http_status: 503, percentage: PERCENT_100 } });
    assert.ok(decoded.ok);
    const config = new FaultFilterConfig(compileFaultSettings(decoded.value, [], [])!, NAME, store.root().scope('http.test.fault.'));
    const table = routeTable([{ match: { prefix: '/' }, route: { cluster: 'web' } }]);
    new FaultFilter(config).decodeHeaders(new TestStream(table, { headers: ['x-envoy-downstream-service-cluster', 'reviews'] }).http);
    assert.equal((store.stats.get('http.test.fault.reviews.aborts_injected') as { value: number }).value, 1);
  });

  it('takes the most specific typed_per_filter_config instead of its own settings', () => {
    const routes = [
      {
        match: { prefix: '/faulty' },
        route: { cluster: 'web' },
        typed_per_filter_config: {
          [NAME]: { '@type': FAULT_TYPE, abort: { http_status: 502, percentage: PERCENT_100 } },
        },
      },
      { match: { prefix: '/' }, route: { cluster: 'web' } },
    ];
    const { table, filter } = setup({}, Math.random, routes);
    const faulty = new TestStream(table, { path: '/faulty' });
    filter().decodeHeaders(faulty.http);
    assert.equal(faulty.localReply?.status, 502);
    const healthy = new TestStream(table, { path: '/other' });
    assert.equal(filter().decodeHeaders(healthy.http), 'continue');
  });

  it('rejects invalid and unimplemented fields, naming them', () => {
    const messages = (json: object) => filterErrors(faultFilterFactory, json).map((e) => `${e.path.join('.')}: ${e.message}`);
    assert.deepEqual(messages({ abort: { http_status: 700 } }), ['abort.http_status: http_status must be in [200, 600)']);
    assert.deepEqual(messages({ abort: {} }), ['abort: one of http_status, grpc_status or header_abort is required']);
    assert.deepEqual(messages({ delay: { fixed_delay: '0s' } }), ['delay.fixed_delay: fixed_delay must be greater than 0s']);
    assert.deepEqual(messages({ response_rate_limit: { fixed_limit: { limit_kbps: 1 } } }), [
      "response_rate_limit: field 'response_rate_limit' is not supported by Skein yet",
    ]);
    assert.deepEqual(messages({ delay_percent_runtime: 'my.key' }), []);
  });
});
