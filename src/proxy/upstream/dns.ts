/**
 * Name resolution for STRICT_DNS and LOGICAL_DNS clusters. The resolver returns every address it
 * knows; the cluster applies `dns_lookup_family` (Envoy's semantics, cluster.proto
 * DnsLookupFamily) with `selectFamily`. Injectable so tests need no DNS server.
 */
import { promises as dns } from 'node:dns';
import type { _envoy_config_cluster_v3_Cluster_DnsLookupFamily__Output as DnsLookupFamily } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';

export type DnsLookupFamilyName = DnsLookupFamily;

export interface DnsAnswer {
  readonly address: string;
  readonly family: 4 | 6;
  /** Record TTL in seconds, when the resolver knows it (used with respect_dns_ttl). */
  readonly ttlSeconds?: number;
}

export interface DnsResolver {
  /** Resolves to the name's addresses; rejects when the name cannot be resolved. */
  resolve(hostname: string): Promise<DnsAnswer[]>;
}

/** getaddrinfo through node:dns `lookup` with all addresses (it honours /etc/hosts; no TTLs). */
export const systemResolver: DnsResolver = {
  async resolve(hostname) {
    const answers = await dns.lookup(hostname, { all: true, verbatim: true });
    return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  },
};

/**
 * AUTO: IPv6 if there is any, else IPv4 ("semantically equivalent to V6_PREFERRED");
 * V4_PREFERRED the reverse; V4_ONLY / V6_ONLY filter; ALL keeps everything.
 */
export function selectFamily(answers: readonly DnsAnswer[], family: DnsLookupFamily): DnsAnswer[] {
  const v4 = answers.filter((a) => a.family === 4);
  const v6 = answers.filter((a) => a.family === 6);
  switch (family) {
    case 'V4_ONLY':
      return v4;
    case 'V6_ONLY':
      return v6;
    case 'V4_PREFERRED':
      return v4.length > 0 ? v4 : v6;
    case 'ALL':
      return [...answers];
    default:
      return v6.length > 0 ? v6 : v4;
  }
}
