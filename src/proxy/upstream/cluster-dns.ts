/**
 * STRICT_DNS (strict_dns_cluster.cc): every endpoint's name is resolved on its own timer; each
 * resolved address (after `dns_lookup_family`) becomes a host carrying the endpoint's weight,
 * priority, locality and health, and `hostname` (the endpoint's, else the DNS name). A failed
 * query keeps the previous hosts. Queries repeat every `dns_refresh_rate` (5 s), or at the
 * smallest record TTL with `respect_dns_ttl`. Envoy counts the cluster initialized when the
 * first query of any name completes, success or failure.
 */
import { DnsClusterBase } from './cluster-dns-base.js';
import type { HostSpec } from './host.js';

interface ResolveTarget {
  /** The endpoint as configured; `address` is the name to resolve. */
  readonly endpoint: HostSpec;
  hosts: HostSpec[];
  timer: NodeJS.Timeout | undefined;
}

export class StrictDnsCluster extends DnsClusterBase {
  private readonly targets: ResolveTarget[] = [];

  start(): void {
    for (const endpoint of this.settings.loadAssignment.hosts) {
      const target: ResolveTarget = { endpoint, hosts: [], timer: undefined };
      this.targets.push(target);
      void this.resolve(target);
    }
    // No names to resolve, or told not to wait: initialized as if every query had failed.
    if (this.targets.length === 0 || !this.settings.waitForWarmOnInit) this.markInitialized();
  }

  protected override stop(): void {
    super.stop();
    for (const target of this.targets) clearTimeout(target.timer);
  }

  private async resolve(target: ResolveTarget): Promise<void> {
    target.timer = undefined;
    const result = await this.resolveName(target.endpoint.address);
    if (!this.running) return;
    if (result.answers) {
      const seen = new Set<string>();
      target.hosts = [];
      for (const answer of result.answers) {
        if (seen.has(answer.address)) continue;
        seen.add(answer.address);
        target.hosts.push({
          ...target.endpoint,
          address: answer.address,
          hostname: target.endpoint.hostname || target.endpoint.address,
        });
      }
      const assignment = this.settings.loadAssignment;
      const changed = this.updateMembership({
        hosts: this.targets.flatMap((t) => t.hosts),
        localities: assignment.localities,
        overprovisioningFactor: assignment.overprovisioningFactor,
        weightedPriorityHealth: assignment.weightedPriorityHealth,
      });
      if (!changed) this.stats.update_no_rebuild.inc();
    }
    this.markInitialized();
    target.timer = setTimeout(() => void this.resolve(target), result.refreshMs);
    target.timer.unref?.();
  }
}
