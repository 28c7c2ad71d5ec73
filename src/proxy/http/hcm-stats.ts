import type { Counter, Gauge, Histogram, StatsScope } from '../stats/stats.js';

/** The `http.<stat_prefix>.*` stats of one connection manager, Envoy's names. */
export interface HcmStats {
  readonly downstream_cx_total: Counter;
  readonly downstream_cx_active: Gauge;
  readonly downstream_cx_http1_total: Counter;
  readonly downstream_cx_destroy: Counter;
  readonly downstream_cx_protocol_error: Counter;
  readonly downstream_cx_idle_timeout: Counter;
  readonly downstream_cx_drain_close: Counter;
  readonly downstream_cx_rx_bytes_total: Counter;
  readonly downstream_cx_tx_bytes_total: Counter;
  readonly downstream_rq_total: Counter;
  readonly downstream_rq_http1_total: Counter;
  readonly downstream_rq_active: Gauge;
  readonly downstream_rq_1xx: Counter;
  readonly downstream_rq_2xx: Counter;
  readonly downstream_rq_3xx: Counter;
  readonly downstream_rq_4xx: Counter;
  readonly downstream_rq_5xx: Counter;
  readonly downstream_rq_completed: Counter;
  readonly downstream_rq_rx_reset: Counter;
  readonly downstream_rq_tx_reset: Counter;
  readonly downstream_rq_timeout: Counter;
  readonly downstream_rq_idle_timeout: Counter;
  readonly downstream_rq_header_timeout: Counter;
  readonly downstream_rq_max_duration_reached: Counter;
  readonly downstream_rq_too_large: Counter;
  readonly downstream_rq_time: Histogram;
  readonly rq_direct_response: Counter;
  readonly rq_redirect: Counter;
  readonly no_route: Counter;
  readonly no_cluster: Counter;
}

const COUNTERS = [
  'downstream_cx_total',
  'downstream_cx_http1_total',
  'downstream_cx_destroy',
  'downstream_cx_protocol_error',
  'downstream_cx_idle_timeout',
  'downstream_cx_drain_close',
  'downstream_cx_rx_bytes_total',
  'downstream_cx_tx_bytes_total',
  'downstream_rq_total',
  'downstream_rq_http1_total',
  'downstream_rq_1xx',
  'downstream_rq_2xx',
  'downstream_rq_3xx',
  'downstream_rq_4xx',
  'downstream_rq_5xx',
  'downstream_rq_completed',
  'downstream_rq_rx_reset',
  'downstream_rq_tx_reset',
  'downstream_rq_timeout',
  'downstream_rq_idle_timeout',
  'downstream_rq_header_timeout',
  'downstream_rq_max_duration_reached',
  'downstream_rq_too_large',
  'rq_direct_response',
  'rq_redirect',
  'no_route',
  'no_cluster',
] as const;

export function hcmStats(root: StatsScope, statPrefix: string): HcmStats {
  const scope = root.scope(`http.${statPrefix}.`, 'http.', { envoy_http_conn_manager_prefix: statPrefix });
  const stats: Record<string, unknown> = {
    downstream_cx_active: scope.gauge('downstream_cx_active'),
    downstream_rq_active: scope.gauge('downstream_rq_active'),
    downstream_rq_time: scope.histogram('downstream_rq_time'),
  };
  for (const name of COUNTERS) stats[name] = scope.counter(name);
  return stats as unknown as HcmStats;
}

/** The downstream_rq_Nxx counter for a status. */
export function countStatusClass(stats: HcmStats, status: number): void {
  if (status < 200) stats.downstream_rq_1xx.inc();
  else if (status < 300) stats.downstream_rq_2xx.inc();
  else if (status < 400) stats.downstream_rq_3xx.inc();
  else if (status < 500) stats.downstream_rq_4xx.inc();
  else stats.downstream_rq_5xx.inc();
}
