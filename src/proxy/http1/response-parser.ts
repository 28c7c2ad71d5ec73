/**
 * Incremental HTTP/1.1 response parser for the upstream side: one parser per request sent,
 * because the framing of a response depends on that request (RFC 9112 §6.3): HEAD and
 * CONNECT change it, and 101 is only valid after an Upgrade request.
 *
 * Upstreams are untrusted too: the same strict line, field and framing rules as for requests
 * apply, and every error carries status 502. After an error, or any byte beyond the response,
 * the upstream connection must be discarded; `canReuseConnection` says when it may be pooled.
 */
import { BodyDecoder } from './body-decoder.js';
import { type ControlFields, checkTransferEncoding, readControlFields } from './control-fields.js';
import { Http1ParseError } from './errors.js';
import { HeadLines } from './head-lines.js';
import { DEFAULT_LIMITS, type Http1Limits } from './limits.js';
import { LineBlockReader } from './line-block-reader.js';
import { type StatusLine, StatusLineChecker } from './start-lines.js';

export interface ResponseHead {
  versionMinor: 0 | 1;
  status: number;
  reason: string;
  /** Flat `[name, value, ...]`: names lower-cased, values OWS-trimmed; framing fields included as received. */
  headers: string[];
  /** -1 when absent. For HEAD and 304 it describes the body not sent. */
  contentLength: number;
  /** A chunked body follows (de-chunked for onBody). */
  chunked: boolean;
  /** Whether the upstream keeps the connection open after this response. */
  keepAlive: boolean;
}

export interface ResponseParserHandler {
  /** A 1xx response other than 101 (100 Continue, 103 Early Hints...): more responses follow. */
  onInformational(head: ResponseHead): void;
  onHead(head: ResponseHead): void;
  /** De-chunked body bytes: subarrays of the input, valid only until the input buffer is reused. */
  onBody(chunk: Buffer): void;
  onMessageComplete(trailers: string[] | undefined): void;
}

/** What the response parser must know about the request it answers. */
export interface AnsweredRequest {
  method: string;
  /** The Upgrade value sent (RequestHead.upgrade); a 101 is only accepted when set. */
  upgrade: string | undefined;
}

const State = {
  Head: 0,
  Body: 1,
  Complete: 2,
  Failed: 3,
} as const;
type State = (typeof State)[keyof typeof State];

/** Interim responses accepted before the final one; more is a 1xx flood. */
export const MAX_INFORMATIONAL_RESPONSES = 16;

export class ResponseParser {
  readonly #handler: ResponseParserHandler;
  readonly #request: AnsweredRequest;
  readonly #limits: Http1Limits;
  readonly #lines = new LineBlockReader();
  readonly #head = new HeadLines(new StatusLineChecker());
  readonly #body: BodyDecoder;
  #state: State = State.Head;
  #error: Http1ParseError | undefined;
  #receivedBytes = false;
  #informationalCount = 0;
  #keepAlive = false;
  /** The connection became a tunnel (101, or 2xx to CONNECT): what follows is not HTTP. */
  #tunnel = false;
  #bytesAfterResponse = false;

  constructor(
    handler: ResponseParserHandler,
    request: AnsweredRequest,
    limits: Http1Limits = DEFAULT_LIMITS,
  ) {
    this.#handler = handler;
    this.#request = request;
    this.#limits = limits;
    this.#body = new BodyDecoder(handler, this.#lines, limits);
    this.#beginHead();
  }

  /** Set once parsing failed (status 502); the parser then ignores all input. */
  get error(): Http1ParseError | undefined {
    return this.#error;
  }

  /** The final response has been completely read. */
  get complete(): boolean {
    return this.#state === State.Complete;
  }

  /** The connection switched protocols (101, or 2xx to CONNECT): bytes after the head belong to the tunnel. */
  get tunnel(): boolean {
    return this.#tunnel;
  }

  /**
   * Whether the upstream connection may serve another request: the response is complete,
   * length-delimited, keep-alive, and the upstream sent nothing beyond it.
   */
  get canReuseConnection(): boolean {
    return this.#state === State.Complete && this.#keepAlive && !this.#tunnel && !this.#bytesAfterResponse;
  }

  /**
   * Parses `data` up to the end of the final response and returns the bytes consumed. Bytes
   * left over are tunnel data after a switch, otherwise a misbehaving upstream (the connection
   * is then not reusable). Returns 0 once failed or complete; never throws parse errors.
   */
  execute(data: Buffer): number {
    if (this.#state === State.Failed || data.length === 0) return 0;
    if (this.#state === State.Complete) {
      this.#bytesAfterResponse = true;
      return 0;
    }
    this.#receivedBytes = true;
    try {
      const consumed = this.#parse(data);
      if (consumed < data.length) this.#bytesAfterResponse = true;
      return consumed;
    } catch (err) {
      if (!(err instanceof Http1ParseError)) throw err;
      this.#fail(err);
      return 0;
    }
  }

  /** Tells the parser the upstream closed: completes a close-delimited body, or fails a cut-short response. */
  finish(): void {
    if (this.#state === State.Failed || this.#state === State.Complete) return;
    if (this.#state === State.Body && this.#body.finish()) {
      this.#completeMessage();
    } else if (this.#receivedBytes) {
      this.#fail(new Http1ParseError('incomplete_message', 'upstream closed inside the response'));
    } else {
      this.#fail(new Http1ParseError('closed_before_response', 'upstream closed without responding'));
    }
  }

  #parse(data: Buffer): number {
    let offset = 0;
    while (this.#state === State.Head) {
      const end = this.#lines.read(data, offset);
      if (end === -1) return data.length;
      offset = end;
      this.#headDone();
    }
    if (this.#state === State.Body) {
      offset = this.#body.decode(data, offset);
      if (this.#body.done) this.#completeMessage();
    }
    return offset;
  }

  #beginHead(): void {
    const limits = this.#limits;
    this.#lines.beginHead(
      this.#head,
      limits.maxRequestLineBytes,
      'status_line_too_long',
      limits.maxHeadersBytes,
      limits.maxHeadersCount,
      0,
    );
  }

  #headDone(): void {
    const { startLine: line, headers } = this.#head.cut(this.#lines.text());
    const fields = readControlFields(headers);
    if (line.status < 200 && line.status !== 101) {
      this.#informational(line, headers, fields);
      return;
    }
    this.#tunnel = this.#switchesProtocols(line.status, fields);
    const bodyFraming = this.#tunnel ? 'none' : responseBodyFraming(this.#request.method, line, fields);
    this.#keepAlive = bodyFraming !== 'until-close' && keepsAlive(line, fields) && !this.#tunnel;
    const head: ResponseHead = {
      versionMinor: line.versionMinor,
      status: line.status,
      reason: line.reason,
      headers,
      contentLength: fields.contentLength,
      chunked: bodyFraming === 'chunked',
      keepAlive: this.#keepAlive,
    };
    if (bodyFraming === 'chunked') this.#body.startChunked();
    else if (bodyFraming === 'until-close') this.#body.startUntilClose();
    else this.#body.startFixed(bodyFraming === 'length' ? fields.contentLength : 0);
    this.#state = State.Body;
    this.#handler.onHead(head);
  }

  #informational(line: StatusLine, headers: string[], fields: ControlFields): void {
    if (++this.#informationalCount > MAX_INFORMATIONAL_RESPONSES) {
      throw new Http1ParseError(
        'too_many_informational',
        `more than ${MAX_INFORMATIONAL_RESPONSES} 1xx responses`,
      );
    }
    // RFC 9110 §8.6, RFC 9112 §6.1: a 1xx has no content and carries neither framing field.
    if (fields.contentLength !== -1 || fields.transferEncoding !== undefined) {
      throw new Http1ParseError('body_not_allowed', `framing fields in a ${line.status} response`);
    }
    this.#beginHead();
    this.#handler.onInformational({
      versionMinor: line.versionMinor,
      status: line.status,
      reason: line.reason,
      headers,
      contentLength: -1,
      chunked: false,
      keepAlive: keepsAlive(line, fields),
    });
  }

  /** 101 to an Upgrade request, or 2xx to CONNECT, turns the connection into a tunnel. */
  #switchesProtocols(status: number, fields: ControlFields): boolean {
    if (status === 101) {
      if (this.#request.upgrade === undefined) {
        throw new Http1ParseError(
          'unexpected_switching_protocols',
          '101 to a request that did not ask to upgrade',
        );
      }
      if (fields.upgrade === undefined) {
        throw new Http1ParseError('unexpected_switching_protocols', '101 without Upgrade (RFC 9110 §15.2.2)');
      }
      return true;
    }
    return this.#request.method === 'CONNECT' && status < 300;
  }

  #completeMessage(): void {
    this.#state = State.Complete;
    this.#handler.onMessageComplete(this.#body.trailers);
  }

  #fail(err: Http1ParseError): void {
    this.#error = err.withStatus(502);
    this.#state = State.Failed;
  }
}

type BodyFraming = 'none' | 'length' | 'chunked' | 'until-close';

/** RFC 9112 §6.3, in order; framing-field errors are checked even where no body follows. */
function responseBodyFraming(method: string, line: StatusLine, fields: ControlFields): BodyFraming {
  if (fields.transferEncoding !== undefined) {
    if (line.versionMinor === 0) {
      throw new Http1ParseError('transfer_encoding_in_http10', 'Transfer-Encoding in an HTTP/1.0 response');
    }
    if (fields.contentLength !== -1) {
      throw new Http1ParseError(
        'content_length_with_transfer_encoding',
        'both Content-Length and Transfer-Encoding',
      );
    }
    // Stricter than §6.3 (which reads a non-chunked coding until close): no other coding is implemented.
    checkTransferEncoding(fields.transferEncoding);
  }
  if (line.status === 204 && (fields.transferEncoding !== undefined || fields.contentLength > 0)) {
    throw new Http1ParseError('body_not_allowed', 'a 204 response has no content');
  }
  if (method === 'HEAD' || line.status === 204 || line.status === 304) return 'none';
  if (fields.transferEncoding !== undefined) return 'chunked';
  if (fields.contentLength !== -1) return 'length';
  return 'until-close';
}

function keepsAlive(line: StatusLine, fields: ControlFields): boolean {
  return !fields.connectionClose && (line.versionMinor === 1 || fields.connectionKeepAlive);
}
