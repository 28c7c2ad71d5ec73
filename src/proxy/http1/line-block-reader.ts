/**
 * Finds the lines of one CRLF-delimited block across `execute()` calls: a message head
 * (start line, field lines, empty line), a trailer section (field lines, empty line), or a
 * single line (a chunk-size line, or the CRLF that ends chunk data).
 *
 * This is the first of the two passes over a head. It only locates line ends (with native
 * `indexOf`) and enforces the size limits as bytes arrive, so a 1 MB request line fails at
 * the limit instead of being buffered, and a head split over many reads is never rescanned.
 * When the block is complete the caller decodes it once and validates each line (pass two).
 *
 * A block that arrives in one read is used in place (`buffer` is the caller's data); only a
 * block split across reads is copied into the stash, and only as far as it passed the limits.
 */
import { CR, LF } from './char-classes.js';
import { type Http1ErrorCode, Http1ParseError } from './errors.js';

const EMPTY = Buffer.alloc(0);

/**
 * A complete block for pass two: bytes to check (fast indexed loads), text to cut strings
 * from (cheap slices of one decoded string). Offsets in `lines` and `text` are relative to
 * `base`; the byte at offset p is `bytes[base + p]`.
 */
export interface DecodedBlock {
  readonly bytes: Buffer;
  readonly base: number;
  readonly text: string;
  /** [start, end) content offsets of each line, CRLF excluded. */
  readonly lines: readonly number[];
}

/** A stash that grew beyond this is dropped once its block is done, so idle connections stay small. */
const STASH_KEEP_BYTES = 4096;

export class LineBlockReader {
  /** Once `read` returned an end: the buffer holding the block (caller's data or the stash). */
  buffer: Buffer = EMPTY;
  /** Once `read` returned an end: where the block starts in `buffer`. */
  base = 0;
  /**
   * Content bounds of the block's lines as [start, end) pairs relative to `base`, CRLF
   * excluded. The empty line that ends a head or trailer section is not listed.
   */
  readonly lines: number[] = [];

  // Shape and limits of the block being read.
  #firstLineMax = -1; // -1: no distinguished first line (a trailer section)
  #firstLineTooLong: Http1ErrorCode = 'request_line_too_long';
  #singleLine = false;
  #fieldBytesMax = 0;
  #fieldCountMax = 0;
  #emptyLinesToSkip = 0;

  // Progress, in block-relative offsets (offset 0 is the first byte of the block).
  #lineStart = 0;
  #fieldBytes = 0;
  #fieldCount = 0;
  #stash: Buffer | undefined;
  #stashLength = 0;

  /** Expects a start line of at most `startLineMax` bytes, then field lines up to an empty line. */
  beginHead(
    startLineMax: number,
    startLineTooLong: Http1ErrorCode,
    fieldBytesMax: number,
    fieldCountMax: number,
    emptyLinesToSkip: number,
  ): void {
    this.#reset(startLineMax, startLineTooLong, false, fieldBytesMax, fieldCountMax);
    this.#emptyLinesToSkip = emptyLinesToSkip;
  }

  /** Expects field lines up to an empty line (a trailer section). */
  beginFields(fieldBytesMax: number, fieldCountMax: number): void {
    this.#reset(-1, 'headers_too_large', false, fieldBytesMax, fieldCountMax);
  }

  /** Expects exactly one line of at most `max` bytes. */
  beginLine(max: number, tooLong: Http1ErrorCode): void {
    this.#reset(max, tooLong, true, 0, 0);
  }

  /** Whether bytes of an unfinished block are held (for telling a clean EOF from a truncated message). */
  get holdsPartialBlock(): boolean {
    return this.#stashLength > 0;
  }

  /**
   * Reads from `data[offset..]`. Returns the offset just past the block, or -1 when all the
   * bytes were taken and the block needs more. Throws Http1ParseError on a bare LF or a limit.
   */
  read(data: Buffer, offset: number): number {
    const stashed = this.#stashLength;
    // Block-relative offset p (p >= stashed) is data[p + shift].
    const shift = offset - stashed;
    for (let lf = data.indexOf(LF, offset); lf !== -1; lf = data.indexOf(LF, lf + 1)) {
      const end = lf - shift;
      const start = this.#lineStart;
      if (end === start || this.#byteAt(data, shift, end - 1) !== CR) {
        throw new Http1ParseError('bare_lf', `LF without CR at block offset ${end}`);
      }
      this.#lineStart = end + 1;
      if (this.#lineDone(start, end - 1)) {
        if (stashed === 0) {
          this.buffer = data;
          this.base = offset;
        } else {
          this.#append(data, offset, lf + 1);
          this.buffer = this.#stash!;
          this.base = 0;
        }
        return lf + 1;
      }
    }
    this.#checkPartialLine(data.length - shift - this.#lineStart);
    this.#append(data, offset, data.length);
    return -1;
  }

  /** The complete block with its text decoded once (latin1: one char per byte, so offsets match). */
  decode(): DecodedBlock {
    const n = this.lines.length;
    const text = n === 0 ? '' : this.buffer.toString('latin1', this.base, this.base + this.lines[n - 1]!);
    return { bytes: this.buffer, base: this.base, text, lines: this.lines };
  }

  #reset(
    firstLineMax: number,
    firstLineTooLong: Http1ErrorCode,
    singleLine: boolean,
    fieldBytesMax: number,
    fieldCountMax: number,
  ): void {
    this.#firstLineMax = firstLineMax;
    this.#firstLineTooLong = firstLineTooLong;
    this.#singleLine = singleLine;
    this.#fieldBytesMax = fieldBytesMax;
    this.#fieldCountMax = fieldCountMax;
    this.#emptyLinesToSkip = 0;
    this.#lineStart = 0;
    this.#fieldBytes = 0;
    this.#fieldCount = 0;
    this.#stashLength = 0;
    if (this.#stash !== undefined && this.#stash.length > STASH_KEEP_BYTES) this.#stash = undefined;
    this.lines.length = 0;
    this.buffer = EMPTY;
    this.base = 0;
  }

  #byteAt(data: Buffer, shift: number, at: number): number | undefined {
    return at >= this.#stashLength ? data[at + shift] : this.#stash![at];
  }

  #readingFirstLine(): boolean {
    return this.#firstLineMax >= 0 && this.lines.length === 0;
  }

  /** Records the complete line [start, end); returns true when it ends the block. */
  #lineDone(start: number, end: number): boolean {
    const length = end - start;
    if (this.#readingFirstLine()) {
      if (length > this.#firstLineMax) {
        throw new Http1ParseError(
          this.#firstLineTooLong,
          `line of ${length} bytes, limit ${this.#firstLineMax}`,
        );
      }
      if (length === 0 && this.#emptyLinesToSkip > 0) {
        this.#emptyLinesToSkip--; // RFC 9112 §2.2: a server SHOULD ignore an empty line before the request line
        return false;
      }
      this.lines.push(start, end);
      // An empty start line ends the head at once, so the caller rejects it without waiting.
      return this.#singleLine || length === 0;
    }
    if (length === 0) return true;
    this.#fieldBytes += length + 2;
    if (this.#fieldBytes > this.#fieldBytesMax) {
      throw new Http1ParseError('headers_too_large', `field lines exceed ${this.#fieldBytesMax} bytes`);
    }
    if (++this.#fieldCount > this.#fieldCountMax) {
      throw new Http1ParseError('too_many_headers', `more than ${this.#fieldCountMax} field lines`);
    }
    this.lines.push(start, end);
    return false;
  }

  /** Refuses an unterminated line that can no longer fit, before it is buffered. */
  #checkPartialLine(length: number): void {
    // The line has at least length - 1 content bytes (its last byte may be the CR). A single
    // byte may be the CR of the empty line that ends the block, which costs no budget.
    if (length < 2) return;
    if (this.#readingFirstLine()) {
      if (length - 1 > this.#firstLineMax) {
        throw new Http1ParseError(this.#firstLineTooLong, `line exceeds ${this.#firstLineMax} bytes`);
      }
    } else if (length - 1 > this.#fieldBytesMax - this.#fieldBytes - 2) {
      throw new Http1ParseError('headers_too_large', `field lines exceed ${this.#fieldBytesMax} bytes`);
    }
  }

  #append(data: Buffer, from: number, to: number): void {
    const length = this.#stashLength + (to - from);
    if (length === this.#stashLength) return;
    let stash = this.#stash;
    if (stash === undefined || stash.length < length) {
      const grown = Buffer.allocUnsafe(Math.max(length, 2 * (stash?.length ?? 0), 1024));
      if (stash !== undefined) stash.copy(grown, 0, 0, this.#stashLength);
      stash = grown;
      this.#stash = grown;
    }
    data.copy(stash, this.#stashLength, from, to);
    this.#stashLength = length;
  }
}
