import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FilterStatus, HttpFilter } from '../../http/http-filter.js';
import { gateByRoute } from './filter-gate.js';
import { routeTable, TestStream } from './test-stream.test.util.js';

const FILTER_CONFIG = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';
const FAULT = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

/** Records what reached it. */
class Probe implements HttpFilter {
  static seen: string[] = [];
  decodeHeaders(): FilterStatus {
    Probe.seen.push('decode');
    return 'stop';
  }
  encodeHeaders(): void {
    Probe.seen.push('encode');
  }
  onDestroy(): void {
    Probe.seen.push('destroy');
  }
}

const table = routeTable([
  {
    match: { prefix: '/on' },
    route: { cluster: 'c' },
    typed_per_filter_config: { probe: { '@type': FILTER_CONFIG, config: { '@type': FAULT } } },
  },
  { match: { prefix: '/configured' }, route: { cluster: 'c' }, typed_per_filter_config: { probe: { '@type': FAULT } } },
  {
    match: { prefix: '/off' },
    route: { cluster: 'c' },
    typed_per_filter_config: { probe: { '@type': FILTER_CONFIG, disabled: true } },
  },
  { match: { prefix: '/' }, route: { cluster: 'c' } },
]);

function run(disabledByDefault: boolean, path: string): string[] {
  Probe.seen = [];
  const filter = gateByRoute('probe', disabledByDefault, () => new Probe())();
  const stream = new TestStream(table, { path });
  const status = filter.decodeHeaders(stream.http);
  filter.encodeHeaders?.(stream.http, { status: 200, headers: [], contentLength: 0 });
  filter.onDestroy?.();
  return [status, ...Probe.seen];
}

describe('route-based filter chain', () => {
  it('runs a filter disabled in http_filters only where a route enables it', () => {
    assert.deepEqual(run(true, '/other'), ['continue']);
    assert.deepEqual(run(true, '/on'), ['stop', 'decode', 'encode', 'destroy']);
    assert.deepEqual(run(true, '/configured'), ['stop', 'decode', 'encode', 'destroy']);
  });

  it('skips an enabled filter where FilterConfig disables it', () => {
    assert.deepEqual(run(false, '/off'), ['continue']);
    assert.deepEqual(run(false, '/other'), ['stop', 'decode', 'encode', 'destroy']);
  });
});
