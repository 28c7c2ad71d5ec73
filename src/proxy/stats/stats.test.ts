import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderPrometheus, renderText } from './render.js';
import { StatsStore } from './stats.js';

describe('stats', () => {
  it('names stats as Envoy does and extracts tags for Prometheus', () => {
    const store = new StatsStore();
    const cluster = store
      .root()
      .scope('cluster.outbound|9080||reviews.', 'cluster.', { envoy_cluster_name: 'outbound|9080||reviews' });
    cluster.counter('upstream_rq_total').inc(3);
    cluster.gauge('upstream_cx_active').set(2);
    cluster.histogram('upstream_rq_time').record(7);
    assert.equal(cluster.counter('upstream_rq_total').value, 3, 'same name returns the same counter');
    const text = renderText(store);
    assert.match(text, /^cluster\.outbound\|9080\|\|reviews\.upstream_rq_total: 3$/m);
    assert.match(text, /^cluster\.outbound\|9080\|\|reviews\.upstream_cx_active: 2$/m);
    const prom = renderPrometheus(store);
    assert.match(prom, /^# TYPE envoy_cluster_upstream_rq_total counter$/m);
    assert.match(
      prom,
      /^envoy_cluster_upstream_rq_total\{envoy_cluster_name="outbound\|9080\|\|reviews"\} 3$/m,
    );
    assert.match(
      prom,
      /^envoy_cluster_upstream_rq_time_bucket\{envoy_cluster_name="outbound\|9080\|\|reviews",le="10"\} 1$/m,
    );
    assert.match(
      prom,
      /^envoy_cluster_upstream_rq_time_count\{envoy_cluster_name="outbound\|9080\|\|reviews"\} 1$/m,
    );
  });
});
