/**
 * `envoy.filters.network.tcp_proxy`: an L4 proxy. Picks a cluster (or a weighted one), lets
 * its load balancer pick a host, connects within connect_timeout and pipes bytes both ways
 * with backpressure. Half-close travels end to end (a FIN one way leaves the other way
 * open); a reset or an idle timeout closes both sides.
 */
import { connect, type Socket } from 'node:net';
import { durationMs } from '../../xds/duration.js';
import type { TcpProxy__Output } from '../../xds/generated/envoy/extensions/filters/network/tcp_proxy/v3/TcpProxy.js';
import { checkSupported } from '../config/config-error.js';
import type {
  ConnectionHandler,
  ConnectionInfo,
  FilterContext,
  NetworkFilterFactory,
} from '../filters/registry.js';
import type { Counter, Gauge } from '../stats/stats.js';
import type { Host, UpstreamCluster } from '../upstream/cluster-manager.js';

const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const SUPPORTED = ['stat_prefix', 'cluster', 'weighted_clusters', 'idle_timeout', 'max_connect_attempts'];

interface WeightedCluster {
  readonly name: string;
  readonly weight: number;
}

export const tcpProxyFactory: NetworkFilterFactory = {
  typeName: TCP_PROXY_TYPE,
  create(raw, path, errors, context) {
    const config = raw as TcpProxy__Output;
    const before = errors.length;
    checkSupported(TCP_PROXY_TYPE, config, SUPPORTED, path, errors);
    if (!config.stat_prefix)
      errors.push({ path: [...path, 'stat_prefix'], message: 'stat_prefix is required' });
    let clusters: WeightedCluster[] = [];
    if (config.cluster_specifier === 'cluster' && config.cluster)
      clusters = [{ name: config.cluster, weight: 1 }];
    else if (config.cluster_specifier === 'weighted_clusters' && config.weighted_clusters) {
      clusters = config.weighted_clusters.clusters.map((c) => ({ name: c.name, weight: c.weight }));
    }
    if (clusters.length === 0 || clusters.some((c) => !c.name)) {
      errors.push({ path, message: 'tcp_proxy needs a cluster or weighted_clusters' });
    }
    if ((config.max_connect_attempts?.value ?? 1) > 1) {
      errors.push({
        path: [...path, 'max_connect_attempts'],
        message: 'max_connect_attempts > 1 is not supported yet',
      });
    }
    if (errors.length > before) return undefined;
    // Envoy's tcp_proxy idle_timeout defaults to 1 hour; 0 disables it.
    return new TcpProxy(config.stat_prefix, clusters, durationMs(config.idle_timeout, 3_600_000), context);
  },
};

class TcpProxy implements ConnectionHandler {
  private readonly clusters: readonly WeightedCluster[];
  private readonly totalWeight: number;
  private readonly idleTimeoutMs: number;
  private readonly context: FilterContext;
  private readonly sessions = new Set<Socket>();
  private readonly stats: {
    downstream_cx_total: Counter;
    downstream_cx_no_route: Counter;
    downstream_cx_rx_bytes_total: Counter;
    downstream_cx_tx_bytes_total: Counter;
    idle_timeout: Counter;
    upstream_flush_active: Gauge;
  };

  constructor(
    statPrefix: string,
    clusters: readonly WeightedCluster[],
    idleTimeoutMs: number,
    context: FilterContext,
  ) {
    this.clusters = clusters;
    this.totalWeight = clusters.reduce((sum, c) => sum + c.weight, 0);
    this.idleTimeoutMs = idleTimeoutMs;
    this.context = context;
    const scope = context.stats.scope(`tcp.${statPrefix}.`, 'tcp.', { envoy_tcp_prefix: statPrefix });
    this.stats = {
      downstream_cx_total: scope.counter('downstream_cx_total'),
      downstream_cx_no_route: scope.counter('downstream_cx_no_route'),
      downstream_cx_rx_bytes_total: scope.counter('downstream_cx_rx_bytes_total'),
      downstream_cx_tx_bytes_total: scope.counter('downstream_cx_tx_bytes_total'),
      idle_timeout: scope.counter('idle_timeout'),
      upstream_flush_active: scope.gauge('upstream_flush_active'),
    };
  }

  get activeConnections(): number {
    return this.sessions.size;
  }

  private pickCluster(): string {
    if (this.clusters.length === 1) return this.clusters[0]!.name;
    let ticket = Math.random() * this.totalWeight;
    for (const cluster of this.clusters) {
      ticket -= cluster.weight;
      if (ticket < 0) return cluster.name;
    }
    return this.clusters[this.clusters.length - 1]!.name;
  }

  onConnection(downstream: Socket, info: ConnectionInfo): void {
    this.stats.downstream_cx_total.inc();
    this.sessions.add(downstream);
    downstream.pause(); // hold bytes in the kernel until the upstream is connected
    downstream.on('error', () => {});
    downstream.on('close', () => {
      this.sessions.delete(downstream);
      this.stats.downstream_cx_rx_bytes_total.inc(downstream.bytesRead);
      this.stats.downstream_cx_tx_bytes_total.inc(downstream.bytesWritten);
    });
    const cluster = this.context.clusterManager.get(this.pickCluster());
    const host = cluster?.chooseHost({
      downstreamLocalAddress: info.localAddress,
      downstreamLocalPort: info.localPort,
    });
    if (!cluster || !host) {
      if (!cluster) this.stats.downstream_cx_no_route.inc();
      else cluster.stats.upstream_cx_none_healthy.inc();
      downstream.destroy();
      return;
    }
    this.connectUpstream(downstream, cluster, host);
  }

  private connectUpstream(downstream: Socket, cluster: UpstreamCluster, host: Host): void {
    const { address, port } = host;
    const stats = cluster.stats;
    stats.upstream_cx_total.inc();
    stats.upstream_cx_active.inc();
    const upstream = connect({ host: address, port, allowHalfOpen: true, noDelay: true });
    let connected = false;
    let timedOut = false;
    const connectTimer = setTimeout(() => {
      stats.upstream_cx_connect_timeout.inc();
      timedOut = true;
      host.outlier.putResult('LOCAL_ORIGIN_TIMEOUT');
      upstream.destroy();
    }, cluster.connectTimeoutMs);
    let idleTimer: NodeJS.Timeout | undefined;
    const onActivity = () => idleTimer?.refresh();

    upstream.on('connect', () => {
      connected = true;
      clearTimeout(connectTimer);
      host.outlier.putResult('LOCAL_ORIGIN_CONNECT_SUCCESS_FINAL');
      if (this.idleTimeoutMs > 0) {
        idleTimer = setTimeout(() => {
          this.stats.idle_timeout.inc();
          downstream.destroy();
          upstream.destroy();
        }, this.idleTimeoutMs);
      }
      downstream.on('data', onActivity);
      upstream.on('data', onActivity);
      // pipe() carries backpressure, and with allowHalfOpen its end() is exactly a half-close.
      downstream.pipe(upstream);
      upstream.pipe(downstream);
      downstream.resume();
    });
    upstream.on('error', () => {});
    upstream.on('close', () => {
      clearTimeout(connectTimer);
      if (idleTimer) clearTimeout(idleTimer);
      stats.upstream_cx_active.dec();
      stats.upstream_cx_destroy.inc();
      stats.upstream_cx_rx_bytes_total.inc(upstream.bytesRead);
      stats.upstream_cx_tx_bytes_total.inc(upstream.bytesWritten);
      if (!connected) {
        stats.upstream_cx_connect_fail.inc();
        if (!timedOut) host.outlier.putResult('LOCAL_ORIGIN_CONNECT_FAILED');
      }
      // Both directions finished cleanly → downstream already ended; otherwise reset it.
      if (!downstream.destroyed && !(downstream.writableEnded && downstream.readableEnded)) {
        if (upstream.readableEnded && upstream.writableEnded) downstream.end();
        else downstream.destroy();
      }
    });
    downstream.on('close', () => {
      if (!upstream.destroyed && !(upstream.writableEnded && upstream.readableEnded)) upstream.destroy();
    });
    // Destroy each side once it has finished both ways, so half-closed pairs do not linger.
    const closeWhenDone = (socket: Socket) => () => {
      if (socket.readableEnded && socket.writableFinished) socket.destroy();
    };
    for (const socket of [downstream, upstream]) {
      socket.on('end', closeWhenDone(socket));
      socket.on('finish', closeWhenDone(socket));
    }
  }

  drain(): void {
    // An L4 stream has no request boundary to drain at: existing sessions run to completion.
  }

  destroy(): void {
    for (const socket of this.sessions) socket.destroy();
  }
}
