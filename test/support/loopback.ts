/**
 * Loopback addresses for multi-workload tests. Linux routes all of 127.0.0.0/8 to `lo`, so each
 * workload can have its own IP (as pods do) and bind the same service port as its peers. Each
 * test file picks a random /24 so files running in parallel do not clash.
 */
import { randomInt } from 'node:crypto';

/** A random `127.a.b.0/24`: `ip(n)` is `127.a.b.n` (n in 1..254). */
export function loopbackSubnet(): (n: number) => string {
  const a = randomInt(1, 255);
  const b = randomInt(0, 256);
  return (n: number) => {
    if (!Number.isInteger(n) || n < 1 || n > 254) throw new Error(`host ${n} is not in 1..254`);
    return `127.${a}.${b}.${n}`;
  };
}
