/**
 * Field lines (RFC 9112 §5, RFC 9110 §5.5): each `name: value` line is checked byte by byte
 * as soon as it arrives; once the block is complete, names and values are cut from its text
 * (decoded once) into the flat `[name, value, ...]` array.
 */
import { COLON, FIELD_NAME, FIELD_VALUE, isOws, UPPER_CASE_NAME } from './char-classes.js';
import { describeByte, Http1ParseError } from './errors.js';
import type { LineChecker } from './line-block-reader.js';

/** Offsets kept per line: name start, colon, value start, value end, 1 if the name needs lower-casing. */
const SLOTS = 5;

export class FieldLines implements LineChecker {
  /** SLOTS numbers per checked line, block-relative; reused across blocks, valid up to #used. */
  readonly #bounds: number[] = [];
  #used = 0;

  reset(): void {
    this.#used = 0;
  }

  checkLine(bytes: Buffer, blockStart: number, start: number, end: number): void {
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
    const bounds = this.#bounds;
    const at = this.#used;
    bounds[at] = start - blockStart;
    bounds[at + 1] = colon - blockStart;
    bounds[at + 2] = valueStart - blockStart;
    bounds[at + 3] = valueEnd - blockStart;
    bounds[at + 4] = (seen & UPPER_CASE_NAME) !== 0 ? 1 : 0;
    this.#used = at + SLOTS;
  }

  /** The checked lines as `[name, value, ...]`: names lower-cased, values without surrounding OWS. */
  cut(text: string): string[] {
    const bounds = this.#bounds;
    const fields: string[] = [];
    for (let i = 0; i < this.#used; i += SLOTS) {
      const name = text.slice(bounds[i]!, bounds[i + 1]!);
      fields.push(
        bounds[i + 4] === 1 ? name.toLowerCase() : name,
        text.slice(bounds[i + 2]!, bounds[i + 3]!),
      );
    }
    return fields;
  }
}
