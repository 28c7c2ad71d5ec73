/** Where HTTP filters keep their stats: under the connection manager's `http.<stat_prefix>.` */
import type { StatsScope } from '../../stats/stats.js';

/** `http.<statPrefix>.<name>.` with Envoy's envoy_http_conn_manager_prefix tag. */
export function httpFilterScope(root: StatsScope, statPrefix: string, name: string): StatsScope {
  return root.scope(`http.${statPrefix}.${name}.`, `http.${name}.`, {
    envoy_http_conn_manager_prefix: statPrefix,
  });
}
