/**
 * A fast 32-bit string hash (FNV-1a over UTF-16 code units, with a murmur3 finalizer for
 * avalanche), used for consistent-hash load balancing and hash-based sampling. Not Envoy's
 * xxHash64, so hash placements differ from Envoy's, but every Skein proxy agrees.
 */
export function hashString(value: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines hashes of several hash policies in order, as Envoy does (rotate left, xor). */
export function combineHash(previous: number, next: number): number {
  return (((previous << 1) | (previous >>> 31)) ^ next) >>> 0;
}
