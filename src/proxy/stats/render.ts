/** Renders the stats store as Envoy's admin `/stats` text and `/stats/prometheus` exposition. */
import { Counter, Gauge, type Histogram, type Stat, type StatsStore } from './stats.js';

function sorted(store: StatsStore, filter?: RegExp): Stat[] {
  return [...store.stats.values()]
    .filter((s) => !filter || filter.test(s.name))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

function histogramSummary(h: Histogram): string {
  if (h.count === 0) return 'No recorded values';
  const q = (p: number) => `P${p * 100}(${h.quantile(p)})`;
  return `${q(0.5)} ${q(0.9)} ${q(0.99)} count(${h.count}) sum(${h.sum})`;
}

/** Envoy's plain `/stats` format: `name: value`, one per line, sorted. */
export function renderText(store: StatsStore, filter?: RegExp): string {
  let out = '';
  for (const stat of sorted(store, filter)) {
    out += `${stat.name}: ${stat instanceof Counter || stat instanceof Gauge ? stat.value : histogramSummary(stat)}\n`;
  }
  return out;
}

function promName(extractedName: string): string {
  return `envoy_${extractedName.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(tags: Readonly<Record<string, string>>, extra?: string): string {
  const parts = Object.entries(tags).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  if (extra) parts.push(extra);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/** Prometheus text exposition (version 0.0.4) with Envoy's tag-extracted names. */
export function renderPrometheus(store: StatsStore): string {
  const families = new Map<string, Stat[]>();
  for (const stat of sorted(store)) {
    const name = promName(stat.extractedName);
    const family = families.get(name);
    if (family) family.push(stat);
    else families.set(name, [stat]);
  }
  let out = '';
  for (const [name, stats] of families) {
    const first = stats[0]!;
    const type = first instanceof Counter ? 'counter' : first instanceof Gauge ? 'gauge' : 'histogram';
    out += `# TYPE ${name} ${type}\n`;
    for (const stat of stats) {
      if (stat instanceof Counter || stat instanceof Gauge) {
        out += `${name}${labels(stat.tags)} ${stat.value}\n`;
        continue;
      }
      let cumulative = 0;
      stat.bounds.forEach((bound, i) => {
        cumulative += stat.counts[i]!;
        out += `${name}_bucket${labels(stat.tags, `le="${bound}"`)} ${cumulative}\n`;
      });
      out += `${name}_bucket${labels(stat.tags, 'le="+Inf"')} ${stat.count}\n`;
      out += `${name}_sum${labels(stat.tags)} ${stat.sum}\n`;
      out += `${name}_count${labels(stat.tags)} ${stat.count}\n`;
    }
  }
  return out;
}
