/**
 * MAGLEV (maglev_lb.cc; Eisenbud et al., "Maglev", NSDI 2016, section 3.4): a lookup table of
 * prime size M (`maglev_lb_config.table_size`, default 65537) filled by letting hosts, in sorted
 * key order, take turns claiming the next free slot of their own permutation
 * `(offset + skip × j) mod M`. A host with normalized weight w takes a turn every
 * max_weight / w rounds, so its share of slots follows its weight. A request hash h maps to
 * slot h mod M. Offset and skip come from Skein's 32-bit `hashString` of the host key (Envoy uses
 * xxHash64 with seeds 0 and 1), so tables differ from Envoy's but agree across Skein proxies.
 */

import { hashString } from '../../lib/hash.js';
import type { Cluster__Output } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';
import type { FieldPath } from '../../xds/proto-json.js';
import { type ConfigError, checkSupported } from '../config/config-error.js';
import type { UpstreamHost } from './host.js';
import type { LbParams, LoadBalancerFactory } from './lb.js';
import {
  HashingLoadBalancerBase,
  type HashingTable,
  hashKeyOf,
  minMaxWeight,
  type NormalizedHostWeight,
} from './lb-hashing-base.js';

export const DEFAULT_TABLE_SIZE = 65537;
const MAX_TABLE_SIZE = 5_000_011; // cluster.proto: lte 5000011
const SKIP_SEED = 0x9e3779b9; // a second, independent hash of the same key

export function isPrime(n: number): boolean {
  if (n < 2 || !Number.isInteger(n)) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

interface BuildEntry {
  readonly host: UpstreamHost;
  readonly weight: number;
  readonly skip: number;
  position: number;
  targetWeight: number;
  count: number;
}

export class MaglevTable implements HashingTable {
  readonly tableSize: number;
  private readonly table: Int32Array;
  private readonly hosts: UpstreamHost[];

  constructor(weights: readonly NormalizedHostWeight[], tableSize: number, useHostname: boolean) {
    this.tableSize = tableSize;
    this.table = new Int32Array(tableSize).fill(-1);
    // A stable order: the table is filled in this order, so it must not depend on input order.
    const keyed = weights
      .map((w) => ({ ...w, key: hashKeyOf(w.host, useHostname) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.hosts = keyed.map((k) => k.host);
    const entries: BuildEntry[] = keyed.map(({ host, weight, key }) => ({
      host,
      weight,
      position: hashString(key) % tableSize,
      skip: (hashString(key, SKIP_SEED) % (tableSize - 1)) + 1,
      targetWeight: 0,
      count: 0,
    }));
    const { max } = minMaxWeight(weights);
    let filled = 0;
    for (let iteration = 1; filled < tableSize && entries.length > 0; iteration++) {
      for (let i = 0; i < entries.length && filled < tableSize; i++) {
        const entry = entries[i]!;
        // A host of weight max/k claims a slot every k-th round.
        if (iteration * entry.weight < entry.targetWeight) continue;
        entry.targetWeight += max;
        while (this.table[entry.position] !== -1) entry.position = (entry.position + entry.skip) % tableSize;
        this.table[entry.position] = i;
        entry.position = (entry.position + entry.skip) % tableSize;
        entry.count++;
        filled++;
      }
    }
  }

  chooseHost(hash: number): UpstreamHost | undefined {
    const index = this.table[hash % this.tableSize];
    return index === undefined || index < 0 ? undefined : this.hosts[index];
  }
}

export class MaglevLoadBalancer extends HashingLoadBalancerBase {
  private readonly tableSize: number;
  private readonly useHostname: boolean;

  constructor(params: LbParams) {
    super(params);
    this.tableSize = params.config.maglev_lb_config?.table_size?.value ?? DEFAULT_TABLE_SIZE;
    this.useHostname =
      params.config.common_lb_config?.consistent_hashing_lb_config?.use_hostname_for_hashing ?? false;
    this.refresh();
  }

  protected buildTable(weights: readonly NormalizedHostWeight[]): HashingTable {
    return new MaglevTable(weights, this.tableSize, this.useHostname);
  }
}

export const maglevFactory: LoadBalancerFactory = {
  name: 'MAGLEV',
  validate(config: Cluster__Output, path: FieldPath, errors: ConfigError[]) {
    const maglev = config.maglev_lb_config;
    if (!maglev) return;
    const at = [...path, 'maglev_lb_config'];
    checkSupported('envoy.config.cluster.v3.Cluster.MaglevLbConfig', maglev, ['table_size'], at, errors);
    const size = maglev.table_size?.value;
    if (size === undefined) return;
    if (size > MAX_TABLE_SIZE)
      errors.push({ path: [...at, 'table_size'], message: `must be at most ${MAX_TABLE_SIZE}` });
    else if (!isPrime(size)) {
      errors.push({ path: [...at, 'table_size'], message: 'The table size of maglev must be prime number' });
    }
  },
  create: (params: LbParams) => new MaglevLoadBalancer(params),
};
