/**
 * A minimal incremental HTTP/1.1 response reader for the load generator.
 *
 * It frames responses by Content-Length (what our nginx origin sends) or by chunked
 * encoding (which a proxy may legally re-frame to). Anything else (a body delimited by
 * connection close, a malformed head) is an error: the generator counts it and drops the
 * connection rather than guess. Only what timing needs is kept: status and keep-alive.
 */

export interface ResponseHead {
  status: number;
  /** False when the server said `Connection: close` (or spoke HTTP/1.0 without keep-alive). */
  keepAlive: boolean;
}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_PENDING_BYTES = 64 * 1024;

export class ResponseFramingError extends Error {}

type State = 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailer';

export class ResponseReader {
  private state: State = 'head';
  private pending: Buffer | null = null;
  private remaining = 0;
  private current: ResponseHead | null = null;

  /** True while a response has started but not finished. */
  get midResponse(): boolean {
    return this.state !== 'head' || this.pending !== null;
  }

  /** Consumes `chunk` and calls `onResponse` once per complete response in it. */
  feed(chunk: Buffer, onResponse: (head: ResponseHead) => void): void {
    let data = chunk;
    while (data.length > 0) {
      if (this.state === 'body' || this.state === 'chunk-data' || this.state === 'chunk-end') {
        const take = Math.min(this.remaining, data.length);
        this.remaining -= take;
        data = data.subarray(take);
        if (this.remaining > 0) return;
        if (this.state === 'body') this.finish(onResponse);
        else if (this.state === 'chunk-data') {
          this.state = 'chunk-end';
          this.remaining = CRLF.length;
        } else this.state = 'chunk-size';
        continue;
      }
      const delimiter = this.state === 'head' ? HEAD_END : CRLF;
      const buffered = this.pending === null ? data : Buffer.concat([this.pending, data]);
      const end = buffered.indexOf(delimiter);
      if (end < 0) {
        if (buffered.length > MAX_PENDING_BYTES) throw new ResponseFramingError(`${this.state} too large`);
        this.pending = buffered;
        return;
      }
      this.pending = null;
      const text = buffered.toString('latin1', 0, end);
      data = buffered.subarray(end + delimiter.length);
      if (this.state === 'head') this.startResponse(text, onResponse);
      else if (this.state === 'chunk-size') this.startChunk(text);
      else if (text === '') this.finish(onResponse); // end of trailers
    }
  }

  private startResponse(text: string, onResponse: (head: ResponseHead) => void): void {
    const { head, contentLength, chunked } = parseHead(text);
    this.current = head;
    if (chunked) this.state = 'chunk-size';
    else if (contentLength === 0) this.finish(onResponse);
    else {
      this.state = 'body';
      this.remaining = contentLength;
    }
  }

  private startChunk(line: string): void {
    const size = Number.parseInt(line.split(';')[0]!.trim(), 16);
    if (!Number.isInteger(size) || size < 0)
      throw new ResponseFramingError(`bad chunk size ${JSON.stringify(line)}`);
    if (size === 0) this.state = 'trailer';
    else {
      this.state = 'chunk-data';
      this.remaining = size;
    }
  }

  private finish(onResponse: (head: ResponseHead) => void): void {
    const head = this.current!;
    this.current = null;
    this.state = 'head';
    onResponse(head);
  }
}

function parseHead(text: string): { head: ResponseHead; contentLength: number; chunked: boolean } {
  const lines = text.split('\r\n');
  const statusLine = lines[0] ?? '';
  const match = /^HTTP\/1\.([01]) (\d{3})/.exec(statusLine);
  if (!match) throw new ResponseFramingError(`bad status line: ${JSON.stringify(statusLine.slice(0, 60))}`);
  let keepAlive = match[1] === '1';
  let contentLength = -1;
  let chunked = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line
      .slice(colon + 1)
      .trim()
      .toLowerCase();
    if (name === 'content-length') contentLength = Number(value);
    else if (name === 'transfer-encoding') {
      if (value !== 'chunked') throw new ResponseFramingError(`unsupported transfer-encoding: ${value}`);
      chunked = true;
    } else if (name === 'connection') {
      if (value.includes('close')) keepAlive = false;
      else if (value.includes('keep-alive')) keepAlive = true;
    }
  }
  if (!chunked && (!Number.isInteger(contentLength) || contentLength < 0))
    throw new ResponseFramingError('response with neither Content-Length nor chunked encoding');
  return { head: { status: Number(match[2]), keepAlive }, contentLength, chunked };
}
