/**
 * Reads a message body by its framing (RFC 9112 §6): a fixed Content-Length, the chunked
 * coding with its trailer section, or everything until the connection closes (responses
 * only). Body bytes go to the sink as subarrays of the input, never copied.
 */
import { ChunkLine } from './chunk-line.js';
import { FieldLines } from './field-lines.js';
import type { Http1Limits } from './limits.js';
import type { LineBlockReader } from './line-block-reader.js';

export interface BodySink {
  onBody(chunk: Buffer): void;
}

const Mode = {
  Done: 0,
  Fixed: 1,
  UntilClose: 2,
  ChunkLine: 3,
  ChunkData: 4,
  ChunkDataEnd: 5,
  Trailers: 6,
} as const;
type Mode = (typeof Mode)[keyof typeof Mode];

export class BodyDecoder {
  readonly #sink: BodySink;
  readonly #lines: LineBlockReader;
  readonly #limits: Http1Limits;
  readonly #chunkLine = new ChunkLine();
  readonly #trailerLines = new FieldLines();
  #mode: Mode = Mode.Done;
  /** Bytes left in a fixed-length body or in the current chunk. */
  #remaining = 0;
  #trailers: string[] | undefined;

  /** `lines` is shared with the head parser: heads and bodies never overlap. */
  constructor(sink: BodySink, lines: LineBlockReader, limits: Http1Limits) {
    this.#sink = sink;
    this.#lines = lines;
    this.#limits = limits;
  }

  get done(): boolean {
    return this.#mode === Mode.Done;
  }

  /** The trailer fields of a chunked body that had any, once done. */
  get trailers(): string[] | undefined {
    return this.#trailers;
  }

  startFixed(length: number): void {
    this.#trailers = undefined;
    this.#remaining = length;
    this.#mode = length > 0 ? Mode.Fixed : Mode.Done;
  }

  startChunked(): void {
    this.#trailers = undefined;
    this.#chunkLine.startBody(this.#limits.maxChunkExtensionBytes);
    this.#beginChunkLine();
  }

  startUntilClose(): void {
    this.#trailers = undefined;
    this.#mode = Mode.UntilClose;
  }

  /** At EOF: a close-delimited body is now complete. Returns whether the body is complete. */
  finish(): boolean {
    if (this.#mode === Mode.UntilClose) this.#mode = Mode.Done;
    return this.#mode === Mode.Done;
  }

  /** Decodes from `data[offset..]` and returns the offset reached: the end of the data, or of the body. */
  decode(data: Buffer, offset: number): number {
    while (offset < data.length) {
      switch (this.#mode) {
        case Mode.Done:
          return offset;
        case Mode.Fixed:
        case Mode.ChunkData:
        case Mode.UntilClose:
          offset = this.#emit(data, offset);
          break;
        case Mode.ChunkLine:
        case Mode.ChunkDataEnd:
        case Mode.Trailers: {
          const end = this.#lines.read(data, offset);
          if (end === -1) return data.length;
          this.#lineBlockDone();
          offset = end;
          break;
        }
      }
    }
    return offset;
  }

  #emit(data: Buffer, offset: number): number {
    const available = data.length - offset;
    const length = this.#mode === Mode.UntilClose ? available : Math.min(this.#remaining, available);
    this.#sink.onBody(offset === 0 && length === data.length ? data : data.subarray(offset, offset + length));
    if (this.#mode !== Mode.UntilClose) {
      this.#remaining -= length;
      if (this.#remaining === 0) {
        if (this.#mode === Mode.Fixed) {
          this.#mode = Mode.Done;
        } else {
          // The chunk data must be followed by CRLF: an empty line.
          this.#mode = Mode.ChunkDataEnd;
          this.#lines.beginLine(undefined, 0, 'invalid_chunk_data_end');
        }
      }
    }
    return offset + length;
  }

  #lineBlockDone(): void {
    switch (this.#mode) {
      case Mode.ChunkLine:
        if (this.#chunkLine.size > 0) {
          this.#mode = Mode.ChunkData;
          this.#remaining = this.#chunkLine.size;
        } else {
          this.#mode = Mode.Trailers;
          this.#lines.beginFields(
            this.#trailerLines,
            this.#limits.maxHeadersBytes,
            this.#limits.maxHeadersCount,
          );
        }
        break;
      case Mode.ChunkDataEnd:
        this.#beginChunkLine();
        break;
      case Mode.Trailers: {
        const trailers = this.#trailerLines.cut(this.#lines.text());
        this.#trailers = trailers.length > 0 ? trailers : undefined;
        this.#mode = Mode.Done;
        break;
      }
    }
  }

  #beginChunkLine(): void {
    this.#mode = Mode.ChunkLine;
    this.#lines.beginLine(this.#chunkLine, this.#chunkLine.maxLineBytes, 'chunk_extensions_too_large');
  }
}
