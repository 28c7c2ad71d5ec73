/**
 * RING_HASH (ring_hash_lb.cc, a ketama ring): each host gets ring entries in proportion to its
 * normalized weight, scaled so the lightest host has a whole number of entries and the ring
 * holds at least `minimum_ring_size` (default 1024) and at most `maximum_ring_size` (default
 * 8M) entries. A request hash maps to the first entry at or after it, wrapping around.
 *
 * Entry hashes are Skein's 32-bit `hashString` of `<address:port>_<i>` (or `<hostname>_<i>`
 * with use_hostname_for_hashing) rather than Envoy's xxHash64, so placements differ from Envoy's
 * but agree across Skein proxies.
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

export const DEFAULT_MIN_RING_SIZE = 1024;
export const DEFAULT_MAX_RING_SIZE = 8 * 1024 * 1024;
const MAX_RING_SIZE_LIMIT = 8_388_608; // cluster.proto: lte 8388608
// Entries are sorted as hash × 2^21 + host index in one Float64Array (exact below 2^53).
const HOST_INDEX_BITS = 2 ** 21;

export class Ring implements HashingTable {
  private readonly hashes: Uint32Array;
  private readonly hosts: UpstreamHost[];
  private readonly entryHosts: Uint32Array;

  constructor(
    weights: readonly NormalizedHostWeight[],
    minRingSize: number,
    maxRingSize: number,
    useHostname: boolean,
  ) {
    const { min } = minMaxWeight(weights);
    const scale = Math.min(Math.ceil(min * minRingSize) / min, maxRingSize);
    const packed: number[] = [];
    this.hosts = weights.map((w) => w.host);
    let current = 0;
    let target = 0;
    weights.forEach(({ host, weight }, index) => {
      const key = `${hashKeyOf(host, useHostname)}_`;
      target += scale * weight;
      for (let i = 0; current < target; i++, current++) {
        packed.push(hashString(key + i) * HOST_INDEX_BITS + index);
      }
    });
    const sorted = Float64Array.from(packed).sort();
    this.hashes = new Uint32Array(sorted.length);
    this.entryHosts = new Uint32Array(sorted.length);
    sorted.forEach((value, i) => {
      this.hashes[i] = Math.floor(value / HOST_INDEX_BITS);
      this.entryHosts[i] = value % HOST_INDEX_BITS;
    });
  }

  get size(): number {
    return this.hashes.length;
  }

  chooseHost(hash: number): UpstreamHost | undefined {
    const hashes = this.hashes;
    if (hashes.length === 0) return undefined;
    // First entry whose hash is >= the request's; past the last one wraps to the first.
    let low = 0;
    let high = hashes.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (hashes[mid]! < hash) low = mid + 1;
      else high = mid;
    }
    return this.hosts[this.entryHosts[low === hashes.length ? 0 : low]!];
  }
}

export class RingHashLoadBalancer extends HashingLoadBalancerBase {
  private readonly minRingSize: number;
  private readonly maxRingSize: number;
  private readonly useHostname: boolean;

  constructor(params: LbParams) {
    super(params);
    const config = params.config.ring_hash_lb_config;
    this.minRingSize = config?.minimum_ring_size?.value ?? DEFAULT_MIN_RING_SIZE;
    this.maxRingSize = config?.maximum_ring_size?.value ?? DEFAULT_MAX_RING_SIZE;
    this.useHostname =
      params.config.common_lb_config?.consistent_hashing_lb_config?.use_hostname_for_hashing ?? false;
    this.refresh();
  }

  protected buildTable(weights: readonly NormalizedHostWeight[]): HashingTable {
    return new Ring(weights, this.minRingSize, this.maxRingSize, this.useHostname);
  }
}

export const ringHashFactory: LoadBalancerFactory = {
  name: 'RING_HASH',
  validate(config: Cluster__Output, path: FieldPath, errors: ConfigError[]) {
    const ring = config.ring_hash_lb_config;
    if (!ring) return;
    const at = [...path, 'ring_hash_lb_config'];
    // hash_function: only the default (XX_HASH, here Skein's own hash) is implemented.
    checkSupported(
      'envoy.config.cluster.v3.Cluster.RingHashLbConfig',
      ring,
      ['minimum_ring_size', 'maximum_ring_size'],
      at,
      errors,
    );
    const min = ring.minimum_ring_size?.value ?? DEFAULT_MIN_RING_SIZE;
    const max = ring.maximum_ring_size?.value ?? DEFAULT_MAX_RING_SIZE;
    if (min > MAX_RING_SIZE_LIMIT)
      errors.push({ path: [...at, 'minimum_ring_size'], message: `must be at most ${MAX_RING_SIZE_LIMIT}` });
    if (max > MAX_RING_SIZE_LIMIT)
      errors.push({ path: [...at, 'maximum_ring_size'], message: `must be at most ${MAX_RING_SIZE_LIMIT}` });
    if (min > max) {
      errors.push({
        path: at,
        message: `ring hash: minimum_ring_size (${min}) > maximum_ring_size (${max})`,
      });
    }
  },
  create: (params: LbParams) => new RingHashLoadBalancer(params),
};
