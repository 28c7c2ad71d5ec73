/**
 * Helpers over the flat header array the codec produces: `[name, value, name, value, ...]`
 * with lower-case names, in arrival order, repeated names kept as separate entries.
 */
import { COMMA, FIELD_VALUE, isOws, TOKEN } from './char-classes.js';

/**
 * Fields that describe one connection and never travel past the next hop (RFC 9110 §7.6.1),
 * plus Proxy-Connection and Keep-Alive, which old clients still send.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * Names a client may not strip by listing them in Connection: the proxy routes on Host,
 * so the upstream must see the same Host the proxy did.
 */
const NEVER_CONNECTION_OPTIONS: ReadonlySet<string> = new Set(['host']);

/** The first value of `name` (lower-case), or undefined. */
export function getHeader(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}

/** Every value of `name` (lower-case), in order. Match each one: an attacker can split a value over lines. */
export function getHeaderValues(headers: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) values.push(headers[i + 1]!);
  return values;
}

/** A copy of `headers` without the fields named in `names` (lower-case). */
export function removeHeaders(headers: readonly string[], names: ReadonlySet<string>): string[] {
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!names.has(headers[i]!)) kept.push(headers[i]!, headers[i + 1]!);
  }
  return kept;
}

/**
 * The options listed in Connection (RFC 9110 §7.6.1), lower-case, never `host`; undefined when
 * there are none. `keep-alive` is left out (it is in HOP_BY_HOP_HEADERS already), so the common
 * `connection: keep-alive` costs no allocation.
 */
export function connectionOptions(headers: readonly string[]): string[] | undefined {
  let options: string[] | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] !== 'connection') continue;
    const value = headers[i + 1]!;
    if (value === 'keep-alive') continue;
    for (const option of splitList(value)) {
      const name = option.toLowerCase();
      if (name === '' || name === 'keep-alive' || NEVER_CONNECTION_OPTIONS.has(name)) continue;
      options ??= [];
      options.push(name);
    }
  }
  return options;
}

/** The hop-by-hop names of this message: the fixed set plus every option listed in Connection. */
export function hopByHopNames(headers: readonly string[]): Set<string> {
  const names = new Set(HOP_BY_HOP_HEADERS);
  for (const name of connectionOptions(headers) ?? []) names.add(name);
  return names;
}

/**
 * The fields to forward to the next hop: hop-by-hop fields and Content-Length removed,
 * because the serializer writes the framing the proxy chose, never the received text.
 */
export function forwardableHeaders(headers: readonly string[]): string[] {
  const names = hopByHopNames(headers);
  names.add('content-length');
  return removeHeaders(headers, names);
}

/**
 * Splits a list-based field value (RFC 9110 §5.6.1) at commas, trimming OWS around each
 * element. Empty elements are kept as '' so a caller can refuse them where they matter.
 * (Only for lists of tokens: a comma inside a quoted-string is not special-cased.)
 */
export function splitList(value: string): string[] {
  const elements: string[] = [];
  let start = 0;
  for (let i = 0; i <= value.length; i++) {
    if (i < value.length && value.charCodeAt(i) !== COMMA) continue;
    let s = start;
    let e = i;
    while (s < e && isOws(value.charCodeAt(s))) s++;
    while (e > s && isOws(value.charCodeAt(e - 1))) e--;
    elements.push(value.slice(s, e));
    start = i + 1;
  }
  return elements;
}

/** Whether `s` is a non-empty token (RFC 9110 §5.6.2): a valid method, field name or coding. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code > 0xff || TOKEN[code] === 0) return false;
  }
  return true;
}

/** Whether `s` may be sent as a field value: no CR, LF, NUL or other CTL but HTAB; chars above 0xFF neither. */
export function isValidHeaderValue(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code > 0xff || FIELD_VALUE[code] === 0) return false;
  }
  return true;
}
