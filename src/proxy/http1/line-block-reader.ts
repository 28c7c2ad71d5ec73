/**
 * Reads one CRLF-delimited block across `execute()` calls: a message head (start line,
 * field lines, empty line), a trailer section (field lines, empty line), or a single line
 * (a chunk-size line, or the CRLF that ends chunk data).
 *
 * It finds line ends with native `indexOf`, refuses bare LFs, and enforces the size limits
 * as bytes arrive, so a 1 MB request line fails at the limit instead of being buffered. Each
 * complete line goes to a `LineChecker` at once, so a bad line is refused as soon as its LF
 * arrives and nothing is ever rescanned. Strings are cut only when the block is complete,
 * from its text decoded once (`text()`).
 *
 * A block that arrives in one read is used in place, in the caller's buffer. A block split
 * across reads is copied into the stash, but only as far as it passed the limits.
 */
import { CR, LF } from './char-classes.js';
import { type Http1ErrorCode, Http1ParseError } from './errors.js';

/** Validates the lines of one block as they complete, and keeps what it needs to cut strings later. */
export interface LineChecker {
  /** Called by the reader's begin methods. */
  reset(): void;
  /**
   * Checks the line at `bytes[start, end)` (CRLF excluded), throwing Http1ParseError.
   * `index` counts the lines of the block from 0. Offsets to keep for later must be relative
   * to `blockStart`, the index of the block's first byte in `bytes`.
   */
  checkLine(bytes: Buffer, blockStart: number, start: number, end: number, index: number): void;
}

const EMPTY = Buffer.alloc(0);

/** A stash that grew beyond this is dropped once its block is done, so idle connections stay small. */
const STASH_KEEP_BYTES = 4096;

export class LineBlockReader {
  // Shape, limits and checker of the block being read.
  #checker: LineChecker | undefined;
  #firstLineMax = -1; // -1: no distinguished first line (a trailer section)
  #firstLineTooLong: Http1ErrorCode = 'request_line_too_long';
  #singleLine = false;
  #fieldBytesMax = 0;
  #fieldCountMax = 0;
  #emptyLinesToSkip = 0;

  // Progress, in block-relative offsets (offset 0 is the first byte of the block).
  #lineStart = 0;
  #lineCount = 0;
  #lastLineEnd = 0;
  #fieldBytes = 0;
  #stash: Buffer | undefined;
  #stashLength = 0;

  // Where the complete block is: the caller's data or the stash.
  #buffer: Buffer = EMPTY;
  #base = 0;

  /** Expects a start line of at most `startLineMax` bytes, then field lines up to an empty line. */
  beginHead(
    checker: LineChecker,
    startLineMax: number,
    startLineTooLong: Http1ErrorCode,
    fieldBytesMax: number,
    fieldCountMax: number,
    emptyLinesToSkip: number,
  ): void {
    this.#reset(checker, startLineMax, startLineTooLong, false, fieldBytesMax, fieldCountMax);
    this.#emptyLinesToSkip = emptyLinesToSkip;
  }

  /** Expects field lines up to an empty line (a trailer section). */
  beginFields(checker: LineChecker, fieldBytesMax: number, fieldCountMax: number): void {
    this.#reset(checker, -1, 'headers_too_large', false, fieldBytesMax, fieldCountMax);
  }

  /** Expects exactly one line of at most `max` bytes; without a checker any content up to `max` passes. */
  beginLine(checker: LineChecker | undefined, max: number, tooLong: Http1ErrorCode): void {
    this.#reset(checker, max, tooLong, true, 0, 0);
  }

  /** Whether bytes of an unfinished block are held (for telling a clean EOF from a truncated message). */
  get holdsPartialBlock(): boolean {
    return this.#stashLength > 0;
  }

  /**
   * Reads from `data[offset..]`. Returns the offset just past the block, or -1 when all the
   * bytes were taken and the block needs more. Throws Http1ParseError for a bare LF, a limit,
   * or whatever the checker refuses.
   */
  read(data: Buffer, offset: number): number {
    // Block-relative offset p, once past what the stash held, is data[p + shift].
    const shift = offset - this.#stashLength;
    for (let lf = data.indexOf(LF, offset); lf !== -1; lf = data.indexOf(LF, lf + 1)) {
      const start = this.#lineStart;
      const end = lf - shift - 1; // the CR, if any
      if (end < start || this.#byteAt(data, shift, end) !== CR) {
        throw new Http1ParseError('bare_lf', `LF without CR at block offset ${end + 1}`);
      }
      this.#lineStart = end + 2;
      if (this.#lineDone(data, shift, start, end)) {
        if (this.#stashLength === 0) {
          this.#buffer = data;
          this.#base = shift;
        } else {
          this.#stashThrough(data, shift, end + 2);
          this.#buffer = this.#stash!;
          this.#base = 0;
        }
        return lf + 1;
      }
    }
    this.#checkPartialLine(data.length - shift - this.#lineStart);
    this.#stashThrough(data, shift, data.length - shift);
    return -1;
  }

  /** The complete block decoded as latin1 (one char per byte) through its last line, so block offsets index it. */
  text(): string {
    return this.#buffer.toString('latin1', this.#base, this.#base + this.#lastLineEnd);
  }

  #reset(
    checker: LineChecker | undefined,
    firstLineMax: number,
    firstLineTooLong: Http1ErrorCode,
    singleLine: boolean,
    fieldBytesMax: number,
    fieldCountMax: number,
  ): void {
    checker?.reset();
    this.#checker = checker;
    this.#firstLineMax = firstLineMax;
    this.#firstLineTooLong = firstLineTooLong;
    this.#singleLine = singleLine;
    this.#fieldBytesMax = fieldBytesMax;
    this.#fieldCountMax = fieldCountMax;
    this.#emptyLinesToSkip = 0;
    this.#lineStart = 0;
    this.#lineCount = 0;
    this.#lastLineEnd = 0;
    this.#fieldBytes = 0;
    this.#stashLength = 0;
    if (this.#stash !== undefined && this.#stash.length > STASH_KEEP_BYTES) this.#stash = undefined;
    this.#buffer = EMPTY;
    this.#base = 0;
  }

  #byteAt(data: Buffer, shift: number, at: number): number | undefined {
    return at >= this.#stashLength ? data[at + shift] : this.#stash![at];
  }

  #readingFirstLine(): boolean {
    return this.#firstLineMax >= 0 && this.#lineCount === 0;
  }

  /** Checks the complete line [start, end) against the limits and the checker; returns true when it ends the block. */
  #lineDone(data: Buffer, shift: number, start: number, end: number): boolean {
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
    } else {
      if (length === 0) return true;
      this.#fieldBytes += length + 2;
      if (this.#fieldBytes > this.#fieldBytesMax) {
        throw new Http1ParseError('headers_too_large', `field lines exceed ${this.#fieldBytesMax} bytes`);
      }
      if (this.#lineCount - (this.#firstLineMax >= 0 ? 1 : 0) >= this.#fieldCountMax) {
        throw new Http1ParseError('too_many_headers', `more than ${this.#fieldCountMax} field lines`);
      }
    }
    this.#check(data, shift, start, end);
    this.#lineCount++;
    this.#lastLineEnd = end;
    return this.#singleLine;
  }

  /** Hands the line to the checker, first making it contiguous if it began in the stash. */
  #check(data: Buffer, shift: number, start: number, end: number): void {
    if (this.#checker === undefined) return;
    if (start < this.#stashLength) {
      this.#stashThrough(data, shift, end);
      this.#checker.checkLine(this.#stash!, 0, start, end, this.#lineCount);
    } else {
      this.#checker.checkLine(data, shift, start + shift, end + shift, this.#lineCount);
    }
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

  /** Extends the stash with the data bytes up to block offset `blockEnd`. */
  #stashThrough(data: Buffer, shift: number, blockEnd: number): void {
    const length = blockEnd;
    if (length <= this.#stashLength) return;
    let stash = this.#stash;
    if (stash === undefined || stash.length < length) {
      const grown = Buffer.allocUnsafe(Math.max(length, 2 * (stash?.length ?? 0), 1024));
      if (stash !== undefined) stash.copy(grown, 0, 0, this.#stashLength);
      stash = grown;
      this.#stash = grown;
    }
    data.copy(stash, this.#stashLength, this.#stashLength + shift, blockEnd + shift);
    this.#stashLength = length;
  }
}
