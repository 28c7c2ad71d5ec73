/**
 * XXH64 (seed 0) of a string's UTF-8 bytes: Envoy's `HashUtil::xxHash64`, which the `version`
 * gauge of every xDS subscription holds for its last accepted version_info.
 */
const MASK = (1n << 64n) - 1n;
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & MASK;
const round = (acc: bigint, input: bigint): bigint => (rotl((acc + input * P2) & MASK, 31n) * P1) & MASK;
const merge = (acc: bigint, value: bigint): bigint => (((acc ^ round(0n, value)) * P1 + P4) & MASK);

export function xxHash64(text: string): bigint {
  const bytes = Buffer.from(text, 'utf8');
  const len = bytes.length;
  let p = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (P1 + P2) & MASK;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (MASK + 1n - P1) & MASK;
    while (p + 32 <= len) {
      v1 = round(v1, bytes.readBigUInt64LE(p));
      v2 = round(v2, bytes.readBigUInt64LE(p + 8));
      v3 = round(v3, bytes.readBigUInt64LE(p + 16));
      v4 = round(v4, bytes.readBigUInt64LE(p + 24));
      p += 32;
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK;
    h = merge(merge(merge(merge(h, v1), v2), v3), v4);
  } else {
    h = P5;
  }
  h = (h + BigInt(len)) & MASK;
  while (p + 8 <= len) {
    h ^= round(0n, bytes.readBigUInt64LE(p));
    h = (rotl(h, 27n) * P1 + P4) & MASK;
    p += 8;
  }
  if (p + 4 <= len) {
    h ^= (BigInt(bytes.readUInt32LE(p)) * P1) & MASK;
    h = (rotl(h, 23n) * P2 + P3) & MASK;
    p += 4;
  }
  while (p < len) {
    h ^= (BigInt(bytes[p]!) * P5) & MASK;
    h = (rotl(h, 11n) * P1) & MASK;
    p += 1;
  }
  h ^= h >> 33n;
  h = (h * P2) & MASK;
  h ^= h >> 29n;
  h = (h * P3) & MASK;
  h ^= h >> 32n;
  return h;
}

/** The hash as a gauge value: gauges here are doubles, so the low 53 bits of Envoy's 64. */
export function versionGaugeValue(versionInfo: string): number {
  return Number(xxHash64(versionInfo) & ((1n << 53n) - 1n));
}
