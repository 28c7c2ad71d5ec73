/** Per-cluster response-class counters (`upstream_rq_2xx`, ...), shared by the router and shadows. */
import type { UpstreamCluster } from '../upstream/cluster-manager.js';

export function countUpstreamStatus(stats: UpstreamCluster['stats'], status: number): void {
  if (status < 200) return;
  if (status < 300) stats.upstream_rq_2xx.inc();
  else if (status < 400) stats.upstream_rq_3xx.inc();
  else if (status < 500) stats.upstream_rq_4xx.inc();
  else stats.upstream_rq_5xx.inc();
}
