/**
 * Byte classes of RFC 9110/9112 as 256-entry lookup tables, so the parsers test a byte
 * with one indexed load instead of a chain of comparisons.
 */

export const HTAB = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;
export const SP = 0x20;
export const DQUOTE = 0x22;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const SEMICOLON = 0x3b;
export const EQUALS = 0x3d;
export const BACKSLASH = 0x5c;

function table(include: (byte: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = include(b) ? 1 : 0;
  return t;
}

const isAlpha = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
const isVchar = (b: number): boolean => b >= 0x21 && b <= 0x7e;
const isObsText = (b: number): boolean => b >= 0x80;

/** tchar (RFC 9110 §5.6.2): the bytes of methods, field names and coding names. */
export const TOKEN = table(
  (b) => isAlpha(b) || isDigit(b) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b)),
);

/** Field-name bytes: 0 not a tchar, else a bit set; UPPER_CASE_NAME marks A-Z, which need lower-casing. */
export const UPPER_CASE_NAME = 2;
export const FIELD_NAME = Uint8Array.from(TOKEN, (isToken, b) =>
  isToken === 0 ? 0 : isUpperAlpha(b) ? UPPER_CASE_NAME | 1 : 1,
);

/** Bytes allowed inside a field value: VCHAR, obs-text, SP and HTAB (RFC 9110 §5.5); no CTL, no DEL. */
export const FIELD_VALUE = table((b) => isVchar(b) || isObsText(b) || b === SP || b === HTAB);

/**
 * Bytes allowed in a request-target: visible ASCII only. URIs are ASCII (RFC 3986), so SP,
 * CTLs, DEL and raw bytes >= 0x80 are refused; `#`, `\` and the like pass through for the
 * path normalizer to judge.
 */
export const TARGET = table(isVchar);

/** Bytes of a Host value: reg-name / IP-literal characters plus ':' for the port (RFC 3986 §3.2.2). */
export const HOST = table(
  (b) => isAlpha(b) || isDigit(b) || "-._~!$&'()*+,;=:[]%".includes(String.fromCharCode(b)),
);

/** qdtext of a quoted-string (RFC 9110 §5.6.4): HTAB, SP, VCHAR except '"' and '\', obs-text. */
export const QDTEXT = table(
  (b) => b === HTAB || b === SP || (isVchar(b) && b !== DQUOTE && b !== BACKSLASH) || isObsText(b),
);

/** Hex digit values, -1 for anything else. */
export const HEX_VALUE = ((): Int8Array => {
  const t = new Int8Array(256).fill(-1);
  for (let d = 0; d < 10; d++) t[0x30 + d] = d;
  for (let d = 0; d < 6; d++) {
    t[0x41 + d] = 10 + d;
    t[0x61 + d] = 10 + d;
  }
  return t;
})();

export function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

export function isOws(byte: number): boolean {
  return byte === SP || byte === HTAB;
}

export function isUpperAlpha(byte: number): boolean {
  return byte >= 0x41 && byte <= 0x5a;
}

export function isLowerAlpha(byte: number): boolean {
  return byte >= 0x61 && byte <= 0x7a;
}
