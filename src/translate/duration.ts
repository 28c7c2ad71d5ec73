/**
 * Istio accepts Go-style durations in its YAML (`3m`, `1h30m`, `500ms`, `1.5s`); Envoy's proto3
 * JSON wants seconds with 0, 3, 6 or 9 fractional digits (`180s`, `0.500s`), as config_dump prints.
 */

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Nanoseconds in a Go or proto duration string, or undefined when it is not one. */
export function parseDurationNs(text: string): number | undefined {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (UNIT_NS[m[2] ?? ''] ?? 0);
    matched = re.lastIndex;
  }
  return matched === text.length && matched > 0 ? Math.round(total) : undefined;
}

/** Proto3 JSON duration from nanoseconds: `10s`, `1.500s`, `0.000250s`. */
export function protoDuration(ns: number): string {
  const seconds = Math.trunc(ns / 1e9);
  const nanos = ns - seconds * 1e9;
  if (nanos === 0) return `${seconds}s`;
  const digits = nanos % 1e6 === 0 ? 3 : nanos % 1e3 === 0 ? 6 : 9;
  const frac = String(nanos).padStart(9, '0').slice(0, digits);
  return `${seconds}.${frac}s`;
}

/** Converts an Istio duration string to proto3 JSON; undefined when unset or invalid (config validation reports those). */
export function toProtoDuration(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const ns = parseDurationNs(text.trim());
  return ns === undefined ? undefined : protoDuration(ns);
}

/** Whole seconds of a duration (Istio CORS max_age uses `GetSeconds()`). */
export function durationSeconds(text: string | undefined): number | undefined {
  const ns = text === undefined ? undefined : parseDurationNs(text.trim());
  return ns === undefined ? undefined : Math.trunc(ns / 1e9);
}
