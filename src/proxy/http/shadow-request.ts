/**
 * A mirrored ("shadow") request: a copy of the downstream request sent to another cluster once
 * the downstream request is complete, with its response read and discarded. It never delays or
 * fails the real request: any failure only shows in the shadow cluster's stats, and the route
 * timeout bounds it as Envoy's shadow writer does.
 */
import type { UpstreamCluster } from '../upstream/cluster-manager.js';
import { countUpstreamStatus } from './upstream-stats.js';
import { UpstreamRequest, type UpstreamRequestHead, type UpstreamResponseHandler } from './upstream-request.js';

export function sendShadowRequest(
  cluster: UpstreamCluster,
  head: UpstreamRequestHead,
  body: readonly Buffer[],
  timeoutMs: number,
): void {
  const host = cluster.chooseHost({});
  if (!host) {
    cluster.stats.upstream_cx_none_healthy.inc();
    return;
  }
  const stats = cluster.stats;
  stats.upstream_rq_total.inc();
  stats.upstream_rq_active.inc();
  host.activeRequests++;
  let request: UpstreamRequest | undefined;
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    stats.upstream_rq_active.dec();
    stats.upstream_rq_completed.inc();
    host.activeRequests--;
  };
  const pending = host.pool.acquire((err, connection) => {
    if (err || !connection) {
      if (err === 'overflow') stats.upstream_rq_pending_overflow.inc();
      finish();
      return;
    }
    if (done) {
      connection.release();
      return;
    }
    const discard: UpstreamResponseHandler = {
      onResponseHead: (status) => countUpstreamStatus(stats, status),
      onResponseData: () => true,
      onResponseEnd: finish,
      onUpstreamFailure: () => {
        stats.upstream_rq_rx_reset.inc();
        finish();
      },
      onReadDone: () => {},
      onResponseDrain: (resume) => resume(),
    };
    request = new UpstreamRequest(connection, head, discard, () => {});
    for (const chunk of body) request.writeBody(chunk);
    request.endBody();
  });
  if (timeoutMs > 0) {
    timer = setTimeout(() => {
      if (done) return;
      stats.upstream_rq_timeout.inc();
      pending.cancel();
      request?.abort();
      finish();
    }, timeoutMs);
    timer.unref();
  }
}
