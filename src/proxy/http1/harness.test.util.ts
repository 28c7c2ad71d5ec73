/**
 * Test support for the HTTP/1.1 codec tests: drives the parsers the way the proxy does and
 * records what they report. (Named `*.test.util.ts`: not a test file itself, and left out of
 * the npm package by its `!dist/**\/*.test.*` rule.)
 */
import type { Http1ParseError } from './errors.js';
import type { Http1Limits } from './limits.js';
import { type RequestHead, RequestParser } from './request-parser.js';
import { type AnsweredRequest, type ResponseHead, ResponseParser } from './response-parser.js';

/** Joins lines with CRLF: `http('GET / HTTP/1.1', 'Host: a', '', '')`. */
export function http(...lines: string[]): string {
  return lines.join('\r\n');
}

/** A plain valid GET head for `host`, to pad or pipeline. */
export function getRequest(target = '/', host = 'a.example'): string {
  return http(`GET ${target} HTTP/1.1`, `Host: ${host}`, '', '');
}

export function bytes(input: string | Buffer): Buffer {
  return typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
}

/** Cuts `input` at the given ascending offsets. */
export function cut(input: Buffer, cuts: readonly number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let from = 0;
  for (const at of cuts) {
    pieces.push(input.subarray(from, at));
    from = at;
  }
  pieces.push(input.subarray(from));
  return pieces;
}

export interface ParsedRequest {
  head: RequestHead;
  body: string;
  trailers: string[] | undefined;
}

export interface RequestOutcome {
  messages: ParsedRequest[];
  error: Http1ParseError | undefined;
  /** Bytes of the input the parser consumed. */
  consumed: number;
  /** Calls to onBody, to check bodies are not copied into one piece. */
  bodyCalls: number;
}

/**
 * Feeds `input` to a new RequestParser, cut into pieces at `cuts`, executing again after
 * each complete message while bytes remain (what the proxy does for pipelined requests).
 */
export function parseRequests(
  input: string | Buffer,
  options: { cuts?: readonly number[]; limits?: Http1Limits; finish?: boolean } = {},
): RequestOutcome {
  const outcome: RequestOutcome = { messages: [], error: undefined, consumed: 0, bodyCalls: 0 };
  let current: ParsedRequest | undefined;
  const parser = new RequestParser(
    {
      onHead(head) {
        current = { head, body: '', trailers: undefined };
      },
      onBody(chunk) {
        outcome.bodyCalls++;
        current!.body += chunk.toString('latin1');
      },
      onMessageComplete(trailers) {
        current!.trailers = trailers;
        outcome.messages.push(current!);
        current = undefined;
      },
    },
    options.limits,
  );
  for (const piece of cut(bytes(input), options.cuts ?? [])) {
    let rest = piece;
    while (rest.length > 0) {
      const consumed = parser.execute(rest);
      if (parser.error !== undefined) {
        outcome.error = parser.error;
        return outcome;
      }
      if (consumed === 0) throw new Error('parser made no progress without an error');
      outcome.consumed += consumed;
      rest = rest.subarray(consumed);
    }
  }
  if (options.finish) {
    parser.finish();
    outcome.error = parser.error;
  }
  return outcome;
}

/** A comparable summary of an outcome: messages, error code, bytes consumed. */
export function summary(outcome: RequestOutcome | ResponseOutcome): string {
  const { bodyCalls: _bodyCalls, ...rest } = outcome;
  return JSON.stringify({ ...rest, error: outcome.error?.code });
}

export interface ResponseOutcome {
  informational: ResponseHead[];
  head: ResponseHead | undefined;
  body: string;
  trailers: string[] | undefined;
  complete: boolean;
  error: Http1ParseError | undefined;
  consumed: number;
  canReuseConnection: boolean;
  tunnel: boolean;
  bodyCalls: number;
}

/** Feeds `input` to a new ResponseParser for `request`, cut at `cuts`; `eof` then reports the close. */
export function parseResponse(
  input: string | Buffer,
  options: { request?: AnsweredRequest; cuts?: readonly number[]; eof?: boolean; limits?: Http1Limits } = {},
): ResponseOutcome {
  const outcome: ResponseOutcome = {
    informational: [],
    head: undefined,
    body: '',
    trailers: undefined,
    complete: false,
    error: undefined,
    consumed: 0,
    canReuseConnection: false,
    tunnel: false,
    bodyCalls: 0,
  };
  const parser = new ResponseParser(
    {
      onInformational(head) {
        outcome.informational.push(head);
      },
      onHead(head) {
        outcome.head = head;
      },
      onBody(chunk) {
        outcome.bodyCalls++;
        outcome.body += chunk.toString('latin1');
      },
      onMessageComplete(trailers) {
        outcome.trailers = trailers;
        outcome.complete = true;
      },
    },
    options.request ?? { method: 'GET', upgrade: undefined },
    options.limits,
  );
  for (const piece of cut(bytes(input), options.cuts ?? [])) {
    outcome.consumed += parser.execute(piece);
    if (parser.error !== undefined) break;
  }
  if (options.eof) parser.finish();
  outcome.error = parser.error;
  outcome.canReuseConnection = parser.canReuseConnection;
  outcome.tunnel = parser.tunnel;
  return outcome;
}

/** Deterministic PRNG (mulberry32) for randomized tests that replay the same way on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every byte value 0x00-0xFF as a one-char latin1 string. */
export const ALL_BYTES: readonly string[] = Array.from({ length: 256 }, (_, b) => String.fromCharCode(b));

/** Renders a byte for assertion messages. */
export function hex(char: string): string {
  return `0x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
}
