/**
 * ORIGINAL_DST (original_dst_cluster.cc) and its CLUSTER_PROVIDED balancer: the host is where
 * the downstream connection was originally headed — the `x-envoy-original-dst-host` header (or
 * `http_header_name`) when `use_http_header` is set and it parses as `ip:port`, else the
 * downstream connection's local address — with `upstream_port_override` replacing the port.
 * Hosts are created on first use; every `cleanup_interval` (5 s) a host not picked since the
 * last pass and with no open connections is removed.
 */
import net from 'node:net';
import { ClusterBase } from './cluster-base.js';
import { hostKey, type UpstreamHost } from './host.js';
import type { LbContext } from './types.js';

/** Parses `1.2.3.4:80` or `[::1]:80`; undefined unless it is an IP literal with a port. */
export function parseIpPort(value: string): { address: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  if (!match) return undefined;
  const address = match[1] ?? match[2]!;
  const port = Number(match[3]);
  const family = net.isIP(address);
  if (family === 0 || (match[1] !== undefined && family !== 6) || port > 65535) return undefined;
  return { address, port };
}

export class OriginalDstCluster extends ClusterBase {
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    this.scheduleCleanup();
    this.markInitialized();
  }

  protected override stop(): void {
    super.stop();
    clearTimeout(this.timer);
  }

  override chooseHost(context: LbContext): UpstreamHost | undefined {
    const destination = this.destinationOf(context);
    if (!destination) return undefined;
    const existing = this.hostByKey(hostKey(destination.address, destination.port));
    if (existing) {
      existing.used = true;
      return existing;
    }
    const host = this.createHost({
      ...destination,
      hostname: '',
      weight: 1,
      priority: 0,
      locality: '',
      healthStatus: 'UNKNOWN',
    });
    host.used = true;
    this.addHost(host);
    return host;
  }

  private destinationOf(context: LbContext): { address: string; port: number } | undefined {
    let destination: { address: string; port: number } | undefined;
    if (this.settings.originalDstHeaderName !== undefined && context.originalDstHeader !== undefined) {
      destination = parseIpPort(context.originalDstHeader);
      // An unparsable header is counted and ignored; the connection's address still applies.
      if (!destination) this.stats.original_dst_host_invalid.inc();
    }
    if (!destination && context.downstreamLocalAddress && net.isIP(context.downstreamLocalAddress) !== 0) {
      destination = { address: context.downstreamLocalAddress, port: context.downstreamLocalPort ?? 0 };
    }
    if (destination && this.settings.originalDstPortOverride !== undefined) {
      destination = { address: destination.address, port: this.settings.originalDstPortOverride };
    }
    return destination;
  }

  private scheduleCleanup(): void {
    this.timer = setTimeout(() => this.cleanup(), this.settings.cleanupIntervalMs);
    this.timer.unref?.();
  }

  /** Keeps a host if it was picked since the last pass or still has connections. */
  private cleanup(): void {
    if (!this.running) return;
    const stale: UpstreamHost[] = [];
    for (const host of this.hosts()) {
      if (host.used) host.used = false;
      else if (host.pool.connectionCount === 0) stale.push(host);
    }
    this.removeHosts(stale);
    this.scheduleCleanup();
  }
}
