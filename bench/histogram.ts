/**
 * A small HDR-style log-linear histogram of non-negative integers (we record nanoseconds).
 *
 * Values below 2^SUB_BITS are counted exactly; above, each power-of-two range is split into
 * 2^SUB_BITS equal sub-buckets, so any recorded value is reported within 1/2^SUB_BITS (0.4 %)
 * of itself. That is HdrHistogram's layout with ~2.4 significant digits, in ~10k counters.
 */

const SUB_BITS = 8;
const SUB_COUNT = 1 << SUB_BITS;
/** 2^40 ns ≈ 18 minutes: far beyond any latency a bounded run can see. */
const MAX_MAGNITUDE = 40;
const BUCKETS = (MAX_MAGNITUDE - SUB_BITS + 2) * SUB_COUNT;

export interface HistogramSummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

function magnitude(value: number): number {
  let m = Math.floor(Math.log2(value));
  if (2 ** m > value) m -= 1;
  if (2 ** (m + 1) <= value) m += 1;
  return m;
}

function indexOf(value: number): number {
  if (value < SUB_COUNT) return value;
  const shift = Math.min(magnitude(value), MAX_MAGNITUDE) - SUB_BITS;
  const sub = Math.min(Math.floor(value / 2 ** shift), 2 * SUB_COUNT - 1);
  return (shift + 1) * SUB_COUNT + (sub - SUB_COUNT);
}

/** The highest value that lands in bucket `index`. */
function highestEquivalent(index: number): number {
  if (index < SUB_COUNT) return index;
  const shift = Math.floor(index / SUB_COUNT) - 1;
  const sub = (index % SUB_COUNT) + SUB_COUNT;
  return (sub + 1) * 2 ** shift - 1;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;
  private sum = 0;

  record(value: number): void {
    const v = value < 0 ? 0 : Math.round(value);
    this.counts[indexOf(v)]! += 1;
    this.count += 1;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Value at percentile `p` (0–100): the bucket's highest equivalent value, capped at the true max. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.max(this.min, Math.min(highestEquivalent(i), this.max));
    }
    return this.max;
  }

  add(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  summary(): HistogramSummary {
    return {
      count: this.count,
      min: this.count === 0 ? 0 : this.min,
      mean: this.count === 0 ? 0 : this.sum / this.count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.max,
    };
  }
}
