/**
 * Durations as Istio reads them. Istio unmarshals YAML through the legacy golang/protobuf jsonpb
 * (pkg/util/protomarshal), whose google.protobuf.Duration accepts Go's `time.ParseDuration`
 * syntax (`1h30m`, `0.5s`, `250ms`), and the CRDs check `duration(self) >= duration('1ms')`
 * with CEL's duration(), which uses the same syntax.
 */

const UNIT_NANOS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

export const NANOS_PER_MILLISECOND = 1e6;

export type DurationResult = { ok: true; nanos: number } | { ok: false; error: string };

/** Go's time.ParseDuration: a signed sequence of decimal numbers, each with a unit. */
export function parseGoDuration(text: string): DurationResult {
  const invalid = (): DurationResult => ({ ok: false, error: `time: invalid duration ${JSON.stringify(text)}` });
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, nanos: 0 };
  if (s === '') return invalid();
  let total = 0;
  while (s !== '') {
    const number = /^([0-9]*)(?:\.([0-9]*))?/.exec(s);
    const whole = number?.[1] ?? '';
    const fraction = number?.[2];
    if (!number || (whole === '' && (fraction === undefined || fraction === ''))) return invalid();
    s = s.slice(number[0].length);
    const unit = /^[^0-9.]*/.exec(s)?.[0] ?? '';
    if (unit === '') return { ok: false, error: `time: missing unit in duration ${JSON.stringify(text)}` };
    const scale = UNIT_NANOS[unit];
    if (scale === undefined) {
      return { ok: false, error: `time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}` };
    }
    s = s.slice(unit.length);
    total += Number(`${whole || '0'}.${fraction || '0'}`) * scale;
  }
  return { ok: true, nanos: Math.round(sign * total) };
}

/** Milliseconds of a duration string, or undefined when it does not parse. */
export function durationMillis(text: string): number | undefined {
  const parsed = parseGoDuration(text);
  return parsed.ok ? parsed.nanos / NANOS_PER_MILLISECOND : undefined;
}
