/**
 * LOGICAL_DNS (logical_dns_cluster.cc): one endpoint, one logical host. Each query keeps only
 * the first address (after `dns_lookup_family`); when it changes, new connections go to the new
 * address while existing ones are left alone. Re-resolved every `dns_refresh_rate` (or TTL).
 */
import { DnsClusterBase } from './cluster-dns-base.js';
import type { UpstreamHost } from './host.js';

export class LogicalDnsCluster extends DnsClusterBase {
  private logicalHost: UpstreamHost | undefined;
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    if (!this.settings.waitForWarmOnInit) this.markInitialized();
    void this.resolve();
  }

  protected override stop(): void {
    super.stop();
    clearTimeout(this.timer);
  }

  private async resolve(): Promise<void> {
    this.timer = undefined;
    const endpoint = this.settings.loadAssignment.hosts[0];
    if (!endpoint) return;
    const result = await this.resolveName(endpoint.address);
    if (!this.running) return;
    const first = result.answers?.[0];
    if (first) {
      if (!this.logicalHost) {
        const assignment = this.settings.loadAssignment;
        this.updateMembership({
          hosts: [{ ...endpoint, address: first.address, hostname: endpoint.hostname || endpoint.address }],
          localities: assignment.localities,
          overprovisioningFactor: assignment.overprovisioningFactor,
          weightedPriorityHealth: assignment.weightedPriorityHealth,
        });
        this.logicalHost = this.hosts()[0];
      } else if (this.logicalHost.address !== first.address) {
        // The pool reads the address at connect time, so only new connections move.
        this.logicalHost.address = first.address;
      } else {
        this.stats.update_no_rebuild.inc();
      }
    }
    this.markInitialized();
    this.timer = setTimeout(() => void this.resolve(), result.refreshMs);
    this.timer.unref?.();
  }
}
