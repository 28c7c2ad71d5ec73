/**
 * Per-cluster statistics with Envoy's names (`cluster.<name>.upstream_cx_total`, ...), created
 * once per cluster name so a replaced cluster keeps counting into the same objects.
 *
 * Who counts what: the connection pool owns `upstream_cx_*` (except the TCP proxy's own
 * connections), `upstream_rq_cancelled` and `upstream_rq_pending_failure_eject`; the cluster owns
 * `membership_*`, `lb_*`, `update_*` and `original_dst_host_invalid`; the router owns the
 * request stats (`upstream_rq_total`, `_active`, `_pending_*`, `_completed`, `_<class>xx`, ...)
 * and `upstream_cx_none_healthy`.
 */
import type { Counter, Gauge, Histogram, StatsScope } from '../stats/stats.js';

const COUNTERS = [
  'upstream_cx_total',
  'upstream_cx_connect_fail',
  'upstream_cx_connect_timeout',
  'upstream_cx_destroy',
  'upstream_cx_destroy_local',
  'upstream_cx_destroy_remote',
  'upstream_cx_idle_timeout',
  'upstream_cx_max_requests',
  'upstream_cx_overflow',
  'upstream_cx_none_healthy',
  'upstream_cx_rx_bytes_total',
  'upstream_cx_tx_bytes_total',
  'upstream_rq_total',
  'upstream_rq_completed',
  'upstream_rq_1xx',
  'upstream_rq_2xx',
  'upstream_rq_3xx',
  'upstream_rq_4xx',
  'upstream_rq_5xx',
  'upstream_rq_timeout',
  'upstream_rq_per_try_timeout',
  'upstream_rq_retry',
  'upstream_rq_retry_success',
  'upstream_rq_retry_overflow',
  'upstream_rq_retry_limit_exceeded',
  'upstream_rq_retry_backoff_exponential',
  'upstream_rq_max_duration_reached',
  'upstream_rq_rx_reset',
  'upstream_rq_tx_reset',
  'upstream_rq_cancelled',
  'upstream_rq_pending_total',
  'upstream_rq_pending_overflow',
  'upstream_rq_pending_failure_eject',
  'lb_healthy_panic',
  'membership_change',
  'init_fetch_timeout',
  'update_attempt',
  'update_rejected',
  'update_success',
  'update_failure',
  'update_no_rebuild',
  'original_dst_host_invalid',
] as const;

const GAUGES = [
  'upstream_cx_active',
  'upstream_rq_active',
  'upstream_rq_pending_active',
  'membership_total',
  'membership_healthy',
  'membership_degraded',
  'membership_excluded',
  'max_host_weight',
] as const;

const HISTOGRAMS = ['upstream_cx_connect_ms', 'upstream_cx_length_ms', 'upstream_rq_time'] as const;

export type ClusterStats = { readonly [K in (typeof COUNTERS)[number]]: Counter } & {
  readonly [K in (typeof GAUGES)[number]]: Gauge;
} & { readonly [K in (typeof HISTOGRAMS)[number]]: Histogram } & {
  /** The cluster's scope (`cluster.<name>.`), for stats created on demand. */
  readonly scope: StatsScope;
  /** Full names of every stat above, so removing the cluster can drop them. */
  readonly names: readonly string[];
};

/** Envoy's cluster scope: `cluster.<alt_stat_name or name>.`, tagged `envoy_cluster_name`. */
export function clusterStatsScope(root: StatsScope, statName: string): StatsScope {
  return root.scope(`cluster.${statName}.`, 'cluster.', { envoy_cluster_name: statName });
}

export function createClusterStats(scope: StatsScope): ClusterStats {
  const stats: Record<string, unknown> = { scope };
  const names: string[] = [];
  const add = (name: string, stat: Counter | Gauge | Histogram): void => {
    stats[name] = stat;
    names.push(stat.name);
  };
  for (const name of COUNTERS) add(name, scope.counter(name));
  for (const name of GAUGES) add(name, scope.gauge(name));
  for (const name of HISTOGRAMS) add(name, scope.histogram(name));
  stats['names'] = names;
  return stats as ClusterStats;
}
