/**
 * Pass two over field lines (RFC 9112 §5, RFC 9110 §5.5): checks each `name: value` line of
 * a complete block and appends it to a flat `[name, value, ...]` array.
 *
 * Bytes are checked in the Buffer (indexed loads are several times faster than charCodeAt);
 * names and values are cut from the block text, decoded once.
 */
import { COLON, FIELD_NAME, FIELD_VALUE, isOws, UPPER_CASE_NAME } from './char-classes.js';
import { describeByte, Http1ParseError } from './errors.js';
import type { DecodedBlock } from './line-block-reader.js';

/** Parses the block's lines from line `first` on: names lower-cased, values without surrounding OWS. */
export function parseFieldLines(block: DecodedBlock, first: number): string[] {
  const { bytes, base, text, lines } = block;
  const fields: string[] = [];
  for (let i = first * 2; i < lines.length; i += 2) {
    parseFieldLine(bytes, text, base, base + lines[i]!, base + lines[i + 1]!, fields);
  }
  return fields;
}

/** Parses the line at `bytes[start, end)`; `text` holds the same bytes from `base` on. */
function parseFieldLine(
  bytes: Buffer,
  text: string,
  base: number,
  start: number,
  end: number,
  out: string[],
): void {
  if (isOws(bytes[start]!)) {
    // A proxy must not unfold (RFC 9112 §5.2): the next hop might read the line differently.
    throw new Http1ParseError('obs_fold', 'field line starts with whitespace (obs-fold)');
  }
  let colon = start;
  let seen = 0;
  for (; colon < end; colon++) {
    const kind = FIELD_NAME[bytes[colon]!]!;
    if (kind === 0) break;
    seen |= kind;
  }
  if (colon === end) throw new Http1ParseError('invalid_header_name', 'field line without a colon');
  if (bytes[colon] !== COLON) {
    throw new Http1ParseError('invalid_header_name', `byte ${describeByte(bytes[colon]!)} in field name`);
  }
  if (colon === start) throw new Http1ParseError('invalid_header_name', 'empty field name');

  let valueStart = colon + 1;
  let valueEnd = end;
  while (valueStart < valueEnd && isOws(bytes[valueStart]!)) valueStart++;
  while (valueEnd > valueStart && isOws(bytes[valueEnd - 1]!)) valueEnd--;
  for (let i = valueStart; i < valueEnd; i++) {
    if (FIELD_VALUE[bytes[i]!] === 0) {
      throw new Http1ParseError('invalid_header_value', `byte ${describeByte(bytes[i]!)} in field value`);
    }
  }
  const name = text.slice(start - base, colon - base);
  out.push(
    (seen & UPPER_CASE_NAME) !== 0 ? name.toLowerCase() : name,
    text.slice(valueStart - base, valueEnd - base),
  );
}
