/**
 * Envoy-style statistics: counters, gauges and histograms with Envoy's dotted names
 * (`cluster.<name>.upstream_rq_total`) and, for Prometheus, the tag-extracted form
 * (`envoy_cluster_upstream_rq_total{envoy_cluster_name="<name>"}`).
 *
 * Components create their stats once (at config time) through a `StatsScope` and keep the
 * objects, so the hot path is a property increment.
 */

export type Tags = Readonly<Record<string, string>>;

interface StatIdentity {
  /** Full Envoy name, e.g. `cluster.web.upstream_rq_total`. */
  readonly name: string;
  /** Name with tag values removed, e.g. `cluster.upstream_rq_total`. */
  readonly extractedName: string;
  readonly tags: Tags;
}

abstract class StatBase implements StatIdentity {
  readonly name: string;
  readonly extractedName: string;
  readonly tags: Tags;
  constructor(name: string, extractedName: string, tags: Tags) {
    this.name = name;
    this.extractedName = extractedName;
    this.tags = tags;
  }
}

export class Counter extends StatBase {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class Gauge extends StatBase {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
  set(value: number): void {
    this.value = value;
  }
}

/** Envoy's default histogram bucket bounds (milliseconds for timing histograms). */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000,
  3600000,
];

export class Histogram extends StatBase {
  readonly bounds: readonly number[];
  readonly counts: number[];
  count = 0;
  sum = 0;
  constructor(name: string, extractedName: string, tags: Tags, bounds: readonly number[] = DEFAULT_BUCKETS) {
    super(name, extractedName, tags);
    this.bounds = bounds;
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }
  record(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.count++;
    this.sum += value;
  }
  /** Approximate quantile from bucket bounds (upper bound of the bucket holding it). */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const target = q * this.count;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= target) return this.bounds[i] ?? Number.POSITIVE_INFINITY;
    }
    return Number.POSITIVE_INFINITY;
  }
}

export type Stat = Counter | Gauge | Histogram;

/** The process-wide set of stats. Scopes hand out stats; the store renders them. */
export class StatsStore {
  readonly stats = new Map<string, Stat>();

  root(): StatsScope {
    return new StatsScope(this, '', '', {});
  }

  /** Gets or creates; a second request for the same name returns the same object. */
  getOrCreate<S extends Stat>(name: string, make: () => S): S {
    const existing = this.stats.get(name);
    if (existing) return existing as S;
    const created = make();
    this.stats.set(name, created);
    return created;
  }

  /** Drops every stat under a prefix, e.g. when a cluster is removed. */
  removePrefix(prefix: string): void {
    for (const name of this.stats.keys()) if (name.startsWith(prefix)) this.stats.delete(name);
  }
}

/**
 * A naming context: `scope('cluster.web.', 'cluster.', {envoy_cluster_name: 'web'})` makes
 * `counter('upstream_rq_total')` named `cluster.web.upstream_rq_total`, tagged by cluster.
 */
export class StatsScope {
  readonly store: StatsStore;
  readonly prefix: string;
  readonly extractedPrefix: string;
  readonly tags: Tags;
  constructor(store: StatsStore, prefix: string, extractedPrefix: string, tags: Tags) {
    this.store = store;
    this.prefix = prefix;
    this.extractedPrefix = extractedPrefix;
    this.tags = tags;
  }

  scope(prefix: string, extractedPrefix: string = prefix, tags: Tags = {}): StatsScope {
    return new StatsScope(this.store, this.prefix + prefix, this.extractedPrefix + extractedPrefix, {
      ...this.tags,
      ...tags,
    });
  }

  counter(name: string): Counter {
    const full = this.prefix + name;
    return this.store.getOrCreate(full, () => new Counter(full, this.extractedPrefix + name, this.tags));
  }

  gauge(name: string): Gauge {
    const full = this.prefix + name;
    return this.store.getOrCreate(full, () => new Gauge(full, this.extractedPrefix + name, this.tags));
  }

  histogram(name: string, bounds?: readonly number[]): Histogram {
    const full = this.prefix + name;
    return this.store.getOrCreate(
      full,
      () => new Histogram(full, this.extractedPrefix + name, this.tags, bounds),
    );
  }
}
