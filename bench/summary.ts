/** Median and spread over repetitions, and the number formats of the report. */

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

/** "median (min–max)" or just the value when there is one run. */
export function formatSpread(s: Spread | null, format: (v: number) => string): string {
  if (!s) return '—';
  if (s.n === 1 || s.min === s.max) return format(s.median);
  return `${format(s.median)} (${format(s.min)}–${format(s.max)})`;
}

export const ms = (ns: number): string => (ns / 1e6).toFixed(3);
export const signedMs = (ns: number): string => `${ns >= 0 ? '+' : '−'}${(Math.abs(ns) / 1e6).toFixed(3)}`;
export const rps = (v: number): string => Math.round(v).toLocaleString('en-US');
export const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
export const vcpu = (v: number): string => v.toFixed(3);
export const ratio = (v: number): string => `${v.toFixed(2)}×`;
export const bytes = (v: number): string => Math.round(v).toLocaleString('en-US');
