/**
 * Minimal Prometheus metrics (counters, gauges, histograms with labels) and the text
 * exposition format 0.0.4 that istiod serves on its monitoring port.
 */
type Labels = Readonly<Record<string, string>>;

interface Metric {
  render(): string;
}

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(',');
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}

function formatNumber(n: number): string {
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return Number.isNaN(n) ? 'NaN' : String(n);
}

export class Counter implements Metric {
  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }

  readonly name: string;
  readonly help: string;

  private readonly values = new Map<string, number>();

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }

  render(): string {
    let out = header(this.name, this.help, 'counter');
    for (const [key, value] of this.values) out += `${this.name}${key ? `{${key}}` : ''} ${formatNumber(value)}\n`;
    return out;
  }
}

export class Gauge implements Metric {
  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }

  readonly name: string;
  readonly help: string;

  private readonly values = new Map<string, number>();

  set(value: number, labels: Labels = {}): void {
    this.values.set(labelKey(labels), value);
  }

  add(by: number, labels: Labels = {}): void {
    const key = labelKey(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }

  render(): string {
    let out = header(this.name, this.help, 'gauge');
    for (const [key, value] of this.values) out += `${this.name}${key ? `{${key}}` : ''} ${formatNumber(value)}\n`;
    return out;
  }
}

interface HistogramSeries {
  readonly counts: number[];
  sum: number;
  count: number;
}

export class Histogram implements Metric {
  constructor(name: string, help: string, buckets: readonly number[]) {
    this.name = name;
    this.help = help;
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  readonly name: string;
  readonly help: string;

  private readonly buckets: readonly number[];
  private readonly series = new Map<string, HistogramSeries>();

  observe(value: number, labels: Labels = {}): void {
    const key = labelKey(labels);
    let series = this.series.get(key);
    if (!series) {
      series = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) series.counts[i]!++;
    series.sum += value;
    series.count++;
  }

  /** Observations so far (for tests and the benchmark). */
  count(labels: Labels = {}): number {
    return this.series.get(labelKey(labels))?.count ?? 0;
  }

  render(): string {
    let out = header(this.name, this.help, 'histogram');
    for (const [key, series] of this.series) {
      const prefix = key ? `${key},` : '';
      this.buckets.forEach((bound, i) => {
        out += `${this.name}_bucket{${prefix}le="${formatNumber(bound)}"} ${series.counts[i]}\n`;
      });
      out += `${this.name}_bucket{${prefix}le="+Inf"} ${series.count}\n`;
      out += `${this.name}_sum${key ? `{${key}}` : ''} ${formatNumber(series.sum)}\n`;
      out += `${this.name}_count${key ? `{${key}}` : ''} ${series.count}\n`;
    }
    return out;
  }
}

export class MetricsRegistry {
  private readonly metrics: Metric[] = [];

  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }

  gauge(name: string, help: string): Gauge {
    return this.add(new Gauge(name, help));
  }

  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }

  private add<T extends Metric>(metric: T): T {
    this.metrics.push(metric);
    return metric;
  }

  /** The Prometheus text exposition of every metric. */
  render(): string {
    return this.metrics.map((m) => m.render()).join('');
  }
}
