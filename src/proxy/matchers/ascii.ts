/**
 * ASCII-only case folding. Envoy compares with absl's `*IgnoreCase` helpers, which fold A-Z only
 * and compare every other byte exactly; JavaScript's `toLowerCase` would also fold non-ASCII
 * letters and so match more than Envoy does.
 */

function foldAscii(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

/** `value` with A-Z lowered; returns `value` itself when there is nothing to fold. */
export function asciiLower(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 65 && code <= 90) return value.replace(/[A-Z]+/g, (run) => run.toLowerCase());
  }
  return value;
}

/** `lowerPrefix` must already be ASCII-lowered. */
export function startsWithIgnoreCase(value: string, lowerPrefix: string): boolean {
  if (value.length < lowerPrefix.length) return false;
  for (let i = 0; i < lowerPrefix.length; i++) {
    if (foldAscii(value.charCodeAt(i)) !== lowerPrefix.charCodeAt(i)) return false;
  }
  return true;
}

/** `lowerSuffix` must already be ASCII-lowered. */
export function endsWithIgnoreCase(value: string, lowerSuffix: string): boolean {
  const offset = value.length - lowerSuffix.length;
  if (offset < 0) return false;
  for (let i = 0; i < lowerSuffix.length; i++) {
    if (foldAscii(value.charCodeAt(offset + i)) !== lowerSuffix.charCodeAt(i)) return false;
  }
  return true;
}

/** `lowerOther` must already be ASCII-lowered. */
export function equalsIgnoreCase(value: string, lowerOther: string): boolean {
  return value.length === lowerOther.length && startsWithIgnoreCase(value, lowerOther);
}
