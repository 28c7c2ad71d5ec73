/**
 * A minimal incremental HTTP/1.1 response reader for the load generator.
 *
 * It only frames responses by Content-Length, which is all our origins (nginx `return 200`)
 * and the proxies in front of them send. Anything else (chunked, no length, a malformed
 * head) is an error: the generator counts it and drops the connection rather than guess.
 */

export interface ResponseHead {
  status: number;
  /** False when the server said `Connection: close` (or spoke HTTP/1.0 without keep-alive). */
  keepAlive: boolean;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 64 * 1024;

export class ResponseFramingError extends Error {}

export class ResponseReader {
  private pendingHead: Buffer | null = null;
  private bodyRemaining = 0;
  private current: ResponseHead | null = null;

  /** True while a response has started but not finished. */
  get midResponse(): boolean {
    return this.current !== null || this.pendingHead !== null;
  }

  /** Consumes `chunk` and calls `onResponse` once per complete response in it. */
  feed(chunk: Buffer, onResponse: (head: ResponseHead) => void): void {
    let data = chunk;
    while (data.length > 0) {
      if (this.current !== null) {
        const take = Math.min(this.bodyRemaining, data.length);
        this.bodyRemaining -= take;
        data = data.subarray(take);
        if (this.bodyRemaining === 0) this.finish(onResponse);
        continue;
      }
      const buffered = this.pendingHead === null ? data : Buffer.concat([this.pendingHead, data]);
      const end = buffered.indexOf(HEAD_END);
      if (end < 0) {
        if (buffered.length > MAX_HEAD_BYTES) throw new ResponseFramingError('response head too large');
        this.pendingHead = buffered;
        return;
      }
      this.pendingHead = null;
      const { head, contentLength } = parseHead(buffered.toString('latin1', 0, end));
      this.current = head;
      this.bodyRemaining = contentLength;
      data = buffered.subarray(end + HEAD_END.length);
      if (contentLength === 0) this.finish(onResponse);
    }
  }

  private finish(onResponse: (head: ResponseHead) => void): void {
    const head = this.current!;
    this.current = null;
    onResponse(head);
  }
}

function parseHead(text: string): { head: ResponseHead; contentLength: number } {
  const lines = text.split('\r\n');
  const statusLine = lines[0] ?? '';
  const match = /^HTTP\/1\.([01]) (\d{3})/.exec(statusLine);
  if (!match) throw new ResponseFramingError(`bad status line: ${JSON.stringify(statusLine.slice(0, 60))}`);
  let keepAlive = match[1] === '1';
  let contentLength = -1;
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
    else if (name === 'transfer-encoding' && value !== 'identity')
      throw new ResponseFramingError(`unsupported transfer-encoding: ${value}`);
    else if (name === 'connection') {
      if (value.includes('close')) keepAlive = false;
      else if (value.includes('keep-alive')) keepAlive = true;
    }
  }
  if (!Number.isInteger(contentLength) || contentLength < 0)
    throw new ResponseFramingError('response without a Content-Length');
  return { head: { status: Number(match[2]), keepAlive }, contentLength };
}
