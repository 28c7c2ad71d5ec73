/**
 * Incremental, push-based HTTP/1.1 request parser for the downstream side of the proxy.
 *
 * Feed it bytes with `execute(data)`; it calls the handler as the head, body pieces and the
 * end of a message are found. It stops right after each message, so the caller decides when
 * to read the next pipelined request (by calling `execute` with the rest). Any violation
 * kills the parser: `error` tells the status to answer before closing the connection.
 *
 * Strict by design (RFC 9112/9110 plus smuggling research, see hardening.md §3.1):
 * - the request line, fields and chunked coding are checked byte by byte; CRLF only;
 * - Host exactly once in HTTP/1.1 and at most once in 1.0;
 * - the body length comes from exactly one of Content-Length or `Transfer-Encoding: chunked`;
 *   both together, repeats, lists and every other coding are refused, never normalized;
 * - after a CONNECT or Upgrade request nothing more is parsed on the connection.
 */
import { BodyDecoder } from './body-decoder.js';
import { HOST } from './char-classes.js';
import { type ControlFields, checkTransferEncoding, readControlFields } from './control-fields.js';
import { describeByte, Http1ParseError } from './errors.js';
import { HeadLines } from './head-lines.js';
import { DEFAULT_LIMITS, type Http1Limits } from './limits.js';
import { LineBlockReader } from './line-block-reader.js';
import { type RequestLine, RequestLineChecker } from './start-lines.js';

export interface RequestHead {
  /** Case-sensitive token; never lower-case. */
  method: string;
  /** As received: origin-form, absolute-form, authority-form or `*`, fragment included. Normalize before use. */
  target: string;
  versionMinor: 0 | 1;
  /** Flat `[name, value, ...]`: names lower-cased, values OWS-trimmed; framing fields included as received. */
  headers: string[];
  /** -1 when absent. */
  contentLength: number;
  /** Transfer-Encoding was exactly `chunked`; the body was de-chunked for onBody. */
  chunked: boolean;
  /** Whether the client allows another request on this connection (version default and Connection). */
  keepAlive: boolean;
  /** The Upgrade value when Connection lists `upgrade` (HTTP/1.1 only). */
  upgrade: string | undefined;
  /** `Expect: 100-continue` in an HTTP/1.1 request. */
  expectContinue: boolean;
}

export interface RequestParserHandler {
  onHead(head: RequestHead): void;
  /** De-chunked body bytes: subarrays of the input, valid only until the input buffer is reused. */
  onBody(chunk: Buffer): void;
  /** `trailers` is the flat trailer list of a chunked body that had any. */
  onMessageComplete(trailers: string[] | undefined): void;
}

const State = {
  Head: 0,
  Body: 1,
  /** After a CONNECT or Upgrade request: the bytes that follow are not HTTP. */
  Upgraded: 2,
  Failed: 3,
} as const;
type State = (typeof State)[keyof typeof State];

/** RFC 9112 §2.2: ignore at least one empty line before a request line. One is enough. */
const EMPTY_LINES_BEFORE_REQUEST = 1;

export class RequestParser {
  readonly #handler: RequestParserHandler;
  readonly #limits: Http1Limits;
  readonly #lines = new LineBlockReader();
  readonly #head = new HeadLines(new RequestLineChecker());
  readonly #body: BodyDecoder;
  #state: State = State.Head;
  #upgrading = false;
  #error: Http1ParseError | undefined;

  constructor(handler: RequestParserHandler, limits: Http1Limits = DEFAULT_LIMITS) {
    this.#handler = handler;
    this.#limits = limits;
    this.#body = new BodyDecoder(handler, this.#lines, limits);
    this.#beginHead();
  }

  /** Set once parsing failed; the parser then ignores all input. */
  get error(): Http1ParseError | undefined {
    return this.#error;
  }

  /**
   * Parses `data` up to the end of the current message. Returns the bytes consumed: all of
   * them, or those up to the end of a message that completed (the rest is the next request,
   * or tunnel data after CONNECT/Upgrade). Returns 0 once failed; never throws parse errors.
   */
  execute(data: Buffer): number {
    if (this.#state === State.Failed || data.length === 0) return 0;
    try {
      return this.#parse(data);
    } catch (err) {
      if (!(err instanceof Http1ParseError)) throw err;
      this.#error = err;
      this.#state = State.Failed;
      return 0;
    }
  }

  /** Tells the parser the client closed: an unfinished request becomes an `incomplete_message` error. */
  finish(): void {
    if (this.#state === State.Body || (this.#state === State.Head && this.#lines.holdsPartialBlock)) {
      this.#error = new Http1ParseError('incomplete_message', 'connection closed inside a request');
      this.#state = State.Failed;
    }
  }

  #parse(data: Buffer): number {
    let offset = 0;
    if (this.#state === State.Upgraded) {
      throw new Http1ParseError('data_after_upgrade', 'no request may follow a CONNECT or Upgrade request');
    }
    if (this.#state === State.Head) {
      offset = this.#lines.read(data, 0);
      if (offset === -1) return data.length;
      this.#startMessage();
    }
    offset = this.#body.decode(data, offset);
    if (this.#body.done) this.#completeMessage();
    return offset;
  }

  #beginHead(): void {
    const limits = this.#limits;
    this.#lines.beginHead(
      this.#head,
      limits.maxRequestLineBytes,
      'request_line_too_long',
      limits.maxHeadersBytes,
      limits.maxHeadersCount,
      EMPTY_LINES_BEFORE_REQUEST,
    );
  }

  #startMessage(): void {
    const { startLine, headers } = this.#head.cut(this.#lines.text());
    const head = requestHead(startLine, headers, readControlFields(headers));
    this.#upgrading = head.method === 'CONNECT' || head.upgrade !== undefined;
    if (head.chunked) this.#body.startChunked();
    else this.#body.startFixed(Math.max(head.contentLength, 0));
    this.#state = State.Body;
    this.#handler.onHead(head);
  }

  #completeMessage(): void {
    this.#state = this.#upgrading ? State.Upgraded : State.Head;
    this.#beginHead();
    this.#handler.onMessageComplete(this.#body.trailers);
  }
}

/** Applies the request rules to the parsed head. */
function requestHead(line: RequestLine, headers: string[], fields: ControlFields): RequestHead {
  const http11 = line.versionMinor === 1;
  checkHost(fields, http11);

  let chunked = false;
  if (fields.transferEncoding !== undefined) {
    // RFC 9112 §6.1: TE in 1.0 means faulty framing; with CL it "ought to be handled as an error".
    if (!http11) {
      throw new Http1ParseError('transfer_encoding_in_http10', 'Transfer-Encoding in an HTTP/1.0 request');
    }
    if (fields.contentLength !== -1) {
      throw new Http1ParseError(
        'content_length_with_transfer_encoding',
        'both Content-Length and Transfer-Encoding',
      );
    }
    checkTransferEncoding(fields.transferEncoding);
    chunked = true;
  }
  if (line.method === 'CONNECT' && (chunked || fields.contentLength > 0)) {
    throw new Http1ParseError('body_in_connect', 'a CONNECT request has no content (RFC 9110 §9.3.6)');
  }

  return {
    method: line.method,
    target: line.target,
    versionMinor: line.versionMinor,
    headers,
    contentLength: fields.contentLength,
    chunked,
    keepAlive: !fields.connectionClose && (http11 || fields.connectionKeepAlive),
    // RFC 9110 §7.8: Upgrade in an HTTP/1.0 request is ignored; it counts only if Connection lists it.
    upgrade: http11 && fields.connectionUpgrade ? fields.upgrade : undefined,
    // RFC 9110 §10.1.1: 100-continue in an HTTP/1.0 request is ignored.
    expectContinue: http11 && fields.expect !== undefined && fields.expect.toLowerCase() === '100-continue',
  };
}

/** RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one in 1.0, and it must look like a URI authority. */
function checkHost(fields: ControlFields, http11: boolean): void {
  if (fields.hostCount > 1) throw new Http1ParseError('duplicate_host', `${fields.hostCount} Host lines`);
  if (fields.host === undefined) {
    if (http11) throw new Http1ParseError('missing_host', 'HTTP/1.1 request without Host');
    return;
  }
  for (let i = 0; i < fields.host.length; i++) {
    const byte = fields.host.charCodeAt(i);
    if (HOST[byte] === 0) throw new Http1ParseError('invalid_host', `byte ${describeByte(byte)} in Host`);
  }
}
