/**
 * The chunk-size line of the chunked coding (RFC 9112 §7.1):
 *
 *   chunk-size [ chunk-ext ] CRLF
 *   chunk-ext  = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-value ] )
 *   ext-value  = token / quoted-string
 *
 * Checked straight from the bytes: a chunk line yields one number, no strings.
 */
import {
  BACKSLASH,
  DQUOTE,
  EQUALS,
  FIELD_VALUE,
  HEX_VALUE,
  isOws,
  QDTEXT,
  SEMICOLON,
  TOKEN,
} from './char-classes.js';
import { describeByte, Http1ParseError } from './errors.js';
import type { LineChecker } from './line-block-reader.js';

/** More digits than this is refused even if they are leading zeros. */
export const MAX_CHUNK_SIZE_DIGITS = 16;

export class ChunkLine implements LineChecker {
  /** The size of the chunk whose line was checked last. */
  size = 0;
  #extensionLimit = 0;
  #extensionBudget = 0;

  /** Starts a chunked body: all its chunk lines share `limit` bytes of extensions. */
  startBody(limit: number): void {
    this.#extensionLimit = limit;
    this.#extensionBudget = limit;
  }

  /** The longest next chunk line that can still pass. */
  get maxLineBytes(): number {
    return MAX_CHUNK_SIZE_DIGITS + this.#extensionBudget;
  }

  reset(): void {
    this.size = 0;
  }

  checkLine(bytes: Buffer, _blockStart: number, start: number, end: number): void {
    let digitsEnd = start;
    while (digitsEnd < end && HEX_VALUE[bytes[digitsEnd]!]! >= 0) digitsEnd++;
    this.size = chunkSize(bytes, start, digitsEnd, end);
    checkChunkExtensions(bytes, digitsEnd, end);
    this.#extensionBudget -= end - digitsEnd;
    if (this.#extensionBudget < 0) {
      throw new Http1ParseError(
        'chunk_extensions_too_large',
        `chunk extensions exceed ${this.#extensionLimit} bytes`,
      );
    }
  }
}

/**
 * The value of the hex digits `bytes[start, digitsEnd)`. Nothing may precede them (no sign,
 * `0x` or whitespace), and what follows must start an extension or end the line. Sizes
 * above 2^53 - 1 are refused, so every accepted size is an exact JS number.
 */
function chunkSize(bytes: Uint8Array, start: number, digitsEnd: number, end: number): number {
  if (digitsEnd === start) {
    const found = start < end ? `byte ${describeByte(bytes[start]!)}` : 'an empty line';
    throw new Http1ParseError('invalid_chunk_size', `chunk size expected, found ${found}`);
  }
  if (digitsEnd - start > MAX_CHUNK_SIZE_DIGITS) {
    throw new Http1ParseError(
      'invalid_chunk_size',
      `chunk size of more than ${MAX_CHUNK_SIZE_DIGITS} digits`,
    );
  }
  if (digitsEnd < end) {
    const next = bytes[digitsEnd]!;
    if (next !== SEMICOLON && !isOws(next)) {
      throw new Http1ParseError('invalid_chunk_size', `byte ${describeByte(next)} in chunk size`);
    }
  }
  let size = 0;
  for (let i = start; i < digitsEnd; i++) {
    size = size * 16 + HEX_VALUE[bytes[i]!]!;
    if (size > Number.MAX_SAFE_INTEGER) {
      throw new Http1ParseError('invalid_chunk_size', 'chunk size above 2^53 - 1');
    }
  }
  return size;
}

/** Checks the chunk extensions at `bytes[start, end)` against the grammar above. Their meaning is ignored. */
function checkChunkExtensions(bytes: Uint8Array, start: number, end: number): void {
  let i = start;
  while (i < end) {
    i = skipBws(bytes, i, end);
    expectByte(bytes, i, end, SEMICOLON);
    i = skipToken(bytes, skipBws(bytes, i + 1, end), end);
    const afterName = skipBws(bytes, i, end);
    if (afterName < end && bytes[afterName] === EQUALS) {
      const valueStart = skipBws(bytes, afterName + 1, end);
      const quoted = valueStart < end && bytes[valueStart] === DQUOTE;
      i = quoted ? skipQuotedString(bytes, valueStart, end) : skipToken(bytes, valueStart, end);
    }
  }
}

function skipBws(bytes: Uint8Array, i: number, end: number): number {
  while (i < end && isOws(bytes[i]!)) i++;
  return i;
}

/** Skips a token that must be there. */
function skipToken(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end && TOKEN[bytes[i]!] === 1) i++;
  if (i === start) throw invalidExtension(bytes, i, end);
  return i;
}

/** Skips the quoted-string that opens at `start`, returning the index after its closing quote. */
function skipQuotedString(bytes: Uint8Array, start: number, end: number): number {
  for (let i = start + 1; i < end; i++) {
    const byte = bytes[i]!;
    if (byte === DQUOTE) return i + 1;
    if (byte === BACKSLASH) {
      i++; // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ), the same bytes as a field value
      if (i === end || FIELD_VALUE[bytes[i]!] === 0) throw invalidExtension(bytes, i, end);
    } else if (QDTEXT[byte] === 0) {
      throw invalidExtension(bytes, i, end);
    }
  }
  throw new Http1ParseError('invalid_chunk_extension', 'unterminated quoted-string in chunk extension');
}

function expectByte(bytes: Uint8Array, i: number, end: number, byte: number): void {
  if (i >= end || bytes[i] !== byte) throw invalidExtension(bytes, i, end);
}

function invalidExtension(bytes: Uint8Array, i: number, end: number): Http1ParseError {
  const found = i < end ? `byte ${describeByte(bytes[i]!)}` : 'the end of the line';
  return new Http1ParseError('invalid_chunk_extension', `unexpected ${found} in chunk extension`);
}
