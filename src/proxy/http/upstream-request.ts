/**
 * One HTTP/1.1 request on one pooled upstream connection: writes the re-framed request,
 * streams the body with backpressure both ways, parses the response strictly and hands it to
 * the downstream stream. A connection that misframes, closes early or times out is destroyed,
 * never returned to the pool.
 */
import type { Socket } from 'node:net';
import type { Http1ParseError } from '../http1/errors.js';
import { connectionOptions, HOP_BY_HOP_HEADERS } from '../http1/headers.js';
import {
  type ResponseHead as ParsedResponseHead,
  ResponseParser,
  type ResponseParserHandler,
} from '../http1/response-parser.js';
import type { ConnectionUser, PooledConnection } from '../upstream/types.js';

const CRLF = '\r\n';

/** Response headers that describe the upstream hop or its framing; the proxy re-frames. */
const RESPONSE_HOP_BY_HOP: ReadonlySet<string> = new Set([...HOP_BY_HOP_HEADERS, 'content-length']);

export type UpstreamFailure = 'connection_termination' | 'protocol_error';

export interface UpstreamResponseHandler {
  onResponseHead(status: number, headers: string[], contentLength: number, endStream: boolean): void;
  /** Returns false to ask for a pause until `resume()`. */
  onResponseData(chunk: Buffer): boolean;
  onResponseEnd(): void;
  onUpstreamFailure(kind: UpstreamFailure, detail: string): void;
  /** One upstream read was processed and the response is not complete: flush what is held back. */
  onReadDone(): void;
  /** When the downstream drains after onResponseData returned false. */
  onResponseDrain(resume: () => void): void;
}

export interface UpstreamRequestHead {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  /** Flat headers without host and framing headers. */
  readonly headers: readonly string[];
  /** Body length if known, 0 for none, -1 for a chunked body. */
  readonly contentLength: number;
}

export class UpstreamRequest implements ResponseParserHandler, ConnectionUser {
  readonly connection: PooledConnection;
  private readonly socket: Socket;
  private readonly handler: UpstreamResponseHandler;
  private readonly parser: ResponseParser;
  private readonly chunked: boolean;
  private readonly method: string;
  private readonly onDownstreamDrain: () => void;
  private requestComplete = false;
  private responseHeadersSeen = false;
  private done = false;
  private pausedByUpstream: (() => void) | undefined;

  constructor(
    connection: PooledConnection,
    head: UpstreamRequestHead,
    handler: UpstreamResponseHandler,
    onDownstreamDrain: () => void,
  ) {
    this.connection = connection;
    this.socket = connection.socket;
    this.handler = handler;
    this.onDownstreamDrain = onDownstreamDrain;
    this.chunked = head.contentLength < 0;
    this.method = head.method;
    this.parser = new ResponseParser(this, { method: head.method, upgrade: undefined });
    connection.attach(this);

    let out = `${head.method} ${head.path} HTTP/1.1${CRLF}host: ${head.host}${CRLF}`;
    const headers = head.headers;
    for (let i = 0; i < headers.length; i += 2) out += `${headers[i]!}: ${headers[i + 1]!}${CRLF}`;
    if (head.contentLength > 0) out += `content-length: ${head.contentLength}${CRLF}`;
    else if (this.chunked) out += `transfer-encoding: chunked${CRLF}`;
    else if (head.method === 'POST' || head.method === 'PUT' || head.method === 'PATCH')
      out += `content-length: 0${CRLF}`;
    this.socket.write(out + CRLF, 'latin1');
  }

  // --- request body (BodySink) --------------------------------------------------------
  /** Request body bytes from the downstream; false asks the downstream to pause until drain. */
  writeBody(chunk: Buffer): boolean {
    if (this.done) return true;
    let ok: boolean;
    if (this.chunked) {
      this.socket.write(`${chunk.length.toString(16)}${CRLF}`, 'latin1');
      this.socket.write(chunk);
      ok = this.socket.write(CRLF, 'latin1');
    } else {
      ok = this.socket.write(chunk);
    }
    if (!ok) {
      this.pausedByUpstream = this.onDownstreamDrain;
    }
    return ok;
  }

  endBody(): void {
    if (this.done) return;
    this.requestComplete = true;
    if (this.chunked) this.socket.write(`0${CRLF}${CRLF}`, 'latin1');
  }

  get requestFullySent(): boolean {
    return this.requestComplete;
  }

  get responseStarted(): boolean {
    return this.responseHeadersSeen;
  }

  // --- response (ResponseParserHandler) -----------------------------------------------
  // --- ConnectionUser: the pooled socket's events while this request holds it ---------
  onDrain(): void {
    const resume = this.pausedByUpstream;
    this.pausedByUpstream = undefined;
    resume?.();
  }

  onEnd(): void {
    this.onClose();
  }

  onData(chunk: Buffer): void {
    if (this.done) return;
    this.parser.execute(chunk);
    const error = this.parser.error;
    if (error) {
      this.fail('protocol_error', describe(error));
      return;
    }
    if (this.parser.complete) this.finishResponse();
    else this.handler.onReadDone();
  }

  onInformational(): void {
    // 1xx interim responses (100 Continue) stay on this hop: Envoy answers 100-continue itself.
  }

  onHead(head: ParsedResponseHead): void {
    this.responseHeadersSeen = true;
    const headers: string[] = [];
    const connectionListed = connectionOptions(head.headers);
    for (let i = 0; i < head.headers.length; i += 2) {
      const name = head.headers[i]!;
      if (RESPONSE_HOP_BY_HOP.has(name) || connectionListed?.includes(name)) continue;
      headers.push(name, head.headers[i + 1]!);
    }
    const contentLength = head.chunked ? -1 : head.contentLength;
    const noBody =
      this.method === 'HEAD' || head.status === 204 || head.status === 304 || contentLength === 0;
    this.handler.onResponseHead(head.status, headers, contentLength, noBody);
  }

  onBody(chunk: Buffer): void {
    if (this.done) return;
    if (!this.handler.onResponseData(chunk)) {
      this.socket.pause();
      this.handler.onResponseDrain(() => {
        if (!this.done) this.socket.resume();
      });
    }
  }

  onMessageComplete(): void {
    // Completion is read from `parser.complete` after execute()/finish() return, so the reuse
    // decision sees whether any bytes followed the response.
  }

  private finishResponse(): void {
    if (this.done) return;
    this.done = true;
    const reusable = this.parser.canReuseConnection && this.requestComplete;
    this.detach();
    if (reusable) this.connection.release();
    else this.connection.destroy();
    this.handler.onResponseEnd();
  }

  /** Destroys the upstream connection (timeout, downstream went away). */
  abort(): void {
    if (this.done) return;
    this.done = true;
    this.detach();
    this.connection.destroy();
  }

  private onClose(): void {
    if (this.done) return;
    // A close-delimited body ends here; anything else cut short is a termination.
    this.parser.finish();
    if (this.parser.complete) {
      this.finishResponse();
      return;
    }
    const error = this.parser.error;
    this.fail(
      error && this.responseHeadersSeen ? 'protocol_error' : 'connection_termination',
      'upstream connection closed',
    );
  }

  private fail(kind: UpstreamFailure, detail: string): void {
    if (this.done) return;
    this.done = true;
    this.detach();
    this.connection.destroy();
    this.handler.onUpstreamFailure(kind, detail);
  }

  private detach(): void {
    // The pool detaches us on release()/destroy(); only undo a pause we caused.
    if (this.socket.isPaused()) this.socket.resume();
  }
}

function describe(error: Http1ParseError): string {
  return `${error.code}: ${error.detail}`;
}
