/**
 * RFC 3986 path canonicalization as Envoy's `PathUtil::canonicalPath` does it, with the Chromium
 * URL canonicalizer snapshot Envoy forked for CVE-2019-9901
 * (envoyproxy/envoy source/common/chromium_url/url_canon_path.cc, Chromium 74):
 * - `.` and `..` segments (also written `%2e`) are resolved and never climb above the root;
 * - `\` becomes `/`;
 * - percent-encoded unreserved characters (ALPHA DIGIT - _ ~) are decoded, `%2e` to `.`;
 * - other escapes are kept exactly (hex case included), characters that must be escaped are;
 * - a NUL, raw or as `%00`, fails the whole path (Envoy answers 400).
 * The input is the path without its query. Characters above 0xFF are UTF-8 encoded first; lower
 * ones are taken as bytes, which is how Node hands over the request target (latin1).
 */

const PASS = 0;
const SPECIAL = 1;
const ESCAPE_BIT = 2;
const ESCAPE = ESCAPE_BIT | SPECIAL;
const UNESCAPE = 4;
const INVALID_BIT = 8;
const INVALID = INVALID_BIT | SPECIAL;

/** kPathCharLookup from the Envoy snapshot, built from its rows. */
const PATH_CHAR = buildTable();

function buildTable(): Uint8Array {
  const table = new Uint8Array(256).fill(ESCAPE); // controls and every byte >= 0x7F escape
  table[0] = INVALID;
  const set = (chars: string, flag: number) => {
    for (const ch of chars) table[ch.charCodeAt(0)] = flag;
  };
  set("!$&'()*+,/:;=@[]", PASS);
  set(' "#%<>?\\^`{|}', ESCAPE);
  set('.', SPECIAL);
  set('-_~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', UNESCAPE);
  return table;
}

const HEX = '0123456789ABCDEF';

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** The path as bytes (char codes 0-255). */
function toBytes(path: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    const code = path.charCodeAt(i);
    if (code <= 0xff) bytes.push(code);
    else {
      const end = code >= 0xd800 && code <= 0xdbff && i + 1 < path.length ? i + 2 : i + 1;
      for (const byte of Buffer.from(path.slice(i, end), 'utf8')) bytes.push(byte);
      i = end - 1;
    }
  }
  return bytes;
}

/** Decodes `%XX` at `i`; returns the byte or -1. */
function decodeEscaped(spec: readonly number[], i: number, end: number): number {
  if (i + 2 >= end) return -1;
  const high = hexValue(spec[i + 1]!);
  const low = hexValue(spec[i + 2]!);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

/** 1 for '.', 3 for '%2e'/'%2E', else 0 (IsDot). */
function dotLength(spec: readonly number[], i: number, end: number): number {
  if (spec[i] === 46) return 1;
  if (spec[i] === 37 && i + 3 <= end && spec[i + 1] === 50 && (spec[i + 2] === 101 || spec[i + 2] === 69))
    return 3;
  return 0;
}

function isSlash(byte: number | undefined): boolean {
  return byte === 47 || byte === 92;
}

const NOT_A_DIRECTORY = 0;
const DIRECTORY_CUR = 1;
const DIRECTORY_UP = 2;

/** ClassifyAfterDot: what a dot at a segment start means, and how much more input it consumes. */
function classifyAfterDot(spec: readonly number[], afterDot: number, end: number): [number, number] {
  if (afterDot === end) return [DIRECTORY_CUR, 0];
  if (isSlash(spec[afterDot])) return [DIRECTORY_CUR, 1];
  const second = dotLength(spec, afterDot, end);
  if (second) {
    const afterSecond = afterDot + second;
    if (afterSecond === end) return [DIRECTORY_UP, second];
    if (isSlash(spec[afterSecond])) return [DIRECTORY_UP, second + 1];
  }
  return [NOT_A_DIRECTORY, 0];
}

/** BackUpToPreviousSlash: drop the last segment, never the leading slash. */
function backUpToPreviousSlash(output: number[]): void {
  let i = output.length - 1;
  if (i === 0) return;
  i--;
  while (output[i] !== 47 && i > 0) i--;
  output.length = i + 1;
}

function appendEscaped(byte: number, output: number[]): void {
  output.push(37, HEX.charCodeAt(byte >> 4), HEX.charCodeAt(byte & 15));
}

/**
 * CheckForNestedEscapes: after decoding inside an invalid `%` sequence (`%%30` -> `%0`), make sure
 * the output cannot become a new escape on a second pass, by turning that `%` into `%25`. This is
 * what keeps canonicalization idempotent.
 */
function checkForNestedEscapes(
  spec: readonly number[],
  next: number,
  end: number,
  percentIndex: number,
  output: number[],
): void {
  const length = output.length;
  const lastUnescaped = output[length - 1]!;
  const appendNext = percentIndex === length - 2;
  if (appendNext) {
    if (next === end || spec[next]! >= 0x80) return;
    output.push(spec[next]!);
  }
  if (decodeEscaped(output, percentIndex, output.length) >= 0) {
    if (!appendNext) output.push(output[percentIndex + 1]!);
    output[percentIndex + 1] = 50; // '2'
    output[percentIndex + 2] = 53; // '5'
    output.push(lastUnescaped);
  } else if (appendNext) {
    output.length = length;
  }
}

/** Canonical form of `path` (no query), or undefined when Envoy would reject it. */
export function canonicalizePath(path: string): string | undefined {
  const spec = toBytes(path);
  const end = spec.length;
  const output: number[] = [];
  if (end === 0 || !isSlash(spec[0])) output.push(47);
  let lastInvalidPercent = Number.MIN_SAFE_INTEGER;
  let success = true;
  for (let i = 0; i < end; i++) {
    const byte = spec[i]!;
    const flags = PATH_CHAR[byte]!;
    if (!(flags & SPECIAL)) {
      output.push(byte);
      continue;
    }
    const dots = dotLength(spec, i, end);
    if (dots > 0) {
      if (output.length > 0 && output[output.length - 1] === 47) {
        const [kind, consumed] = classifyAfterDot(spec, i + dots, end);
        if (kind === NOT_A_DIRECTORY) {
          output.push(46);
          i += dots - 1;
        } else {
          if (kind === DIRECTORY_UP) backUpToPreviousSlash(output);
          i += dots + consumed - 1;
        }
      } else {
        output.push(46);
        i += dots - 1;
      }
    } else if (byte === 92) {
      output.push(47);
    } else if (byte === 37) {
      const decoded = decodeEscaped(spec, i, end);
      if (decoded >= 0) {
        i += 2;
        const decodedFlags = PATH_CHAR[decoded]!;
        if (decodedFlags & UNESCAPE) {
          output.push(decoded);
          if (lastInvalidPercent >= output.length - 3)
            checkForNestedEscapes(spec, i + 1, end, lastInvalidPercent, output);
        } else {
          output.push(37, spec[i - 1]!, spec[i]!);
          if (decodedFlags & INVALID_BIT) success = false;
        }
      } else {
        lastInvalidPercent = output.length;
        output.push(37);
      }
    } else if (flags & INVALID_BIT) {
      appendEscaped(byte, output);
      success = false;
    } else if (flags & ESCAPE_BIT) {
      appendEscaped(byte, output);
    }
  }
  return success ? Buffer.from(output).toString('latin1') : undefined;
}
