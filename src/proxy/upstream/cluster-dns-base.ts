/**
 * What STRICT_DNS and LOGICAL_DNS share: one query through the injected resolver, filtered by
 * `dns_lookup_family`, counted in `update_attempt` / `update_success` / `update_failure`, and the
 * delay before the next one: `dns_refresh_rate`, or with `respect_dns_ttl` the smallest record
 * TTL when there is one (strict_dns_cluster.cc). `dns_failure_refresh_rate` is not implemented,
 * so a failed query is retried at `dns_refresh_rate`, Envoy's behaviour when it is unset.
 */
import { ClusterBase } from './cluster-base.js';
import { type DnsAnswer, selectFamily } from './dns.js';

export interface Resolution {
  /** Undefined when the query failed. */
  readonly answers: DnsAnswer[] | undefined;
  readonly refreshMs: number;
}

export abstract class DnsClusterBase extends ClusterBase {
  protected async resolveName(name: string): Promise<Resolution> {
    const { stats, settings } = this;
    stats.update_attempt.inc();
    let answers: DnsAnswer[] | undefined;
    try {
      answers = selectFamily(await this.deps.resolver.resolve(name), settings.dnsLookupFamily);
      stats.update_success.inc();
    } catch {
      stats.update_failure.inc();
    }
    let refreshMs = settings.dnsRefreshRateMs;
    if (answers && answers.length > 0 && settings.respectDnsTtl) {
      const ttl = answers.reduce(
        (min, a) => Math.min(min, a.ttlSeconds ?? Number.POSITIVE_INFINITY),
        Infinity,
      );
      if (Number.isFinite(ttl) && ttl > 0) refreshMs = ttl * 1000;
    }
    return { answers, refreshMs };
  }
}
