/**
 * Reads the fields that decide framing and connection handling (Content-Length,
 * Transfer-Encoding, Connection, Host, Upgrade, Expect) out of a parsed field list. The
 * request and response parsers then apply their own rules to this summary.
 */
import { excerpt, Http1ParseError } from './errors.js';
import { isToken, splitList } from './headers.js';

export interface ControlFields {
  /** -1 when absent. */
  contentLength: number;
  /** Every Transfer-Encoding line joined with ", " (RFC 9110 §5.3), or undefined. */
  transferEncoding: string | undefined;
  connectionClose: boolean;
  connectionKeepAlive: boolean;
  connectionUpgrade: boolean;
  hostCount: number;
  host: string | undefined;
  upgrade: string | undefined;
  expect: string | undefined;
}

export function readControlFields(headers: readonly string[]): ControlFields {
  const fields: ControlFields = {
    contentLength: -1,
    transferEncoding: undefined,
    connectionClose: false,
    connectionKeepAlive: false,
    connectionUpgrade: false,
    hostCount: 0,
    host: undefined,
    upgrade: undefined,
    expect: undefined,
  };
  for (let i = 0; i < headers.length; i += 2) {
    const value = headers[i + 1]!;
    switch (headers[i]) {
      case 'content-length':
        // Even an identical repeat is refused: RFC 9110 §8.6 allows either, refusing is simpler to trust.
        if (fields.contentLength !== -1) {
          throw new Http1ParseError('duplicate_content_length', 'more than one Content-Length line');
        }
        fields.contentLength = parseContentLength(value);
        break;
      case 'transfer-encoding':
        fields.transferEncoding = joinLines(fields.transferEncoding, value);
        break;
      case 'connection':
        readConnectionOptions(value, fields);
        break;
      case 'host':
        fields.hostCount++;
        fields.host = value;
        break;
      case 'upgrade':
        fields.upgrade = joinLines(fields.upgrade, value);
        break;
      case 'expect':
        fields.expect = joinLines(fields.expect, value);
        break;
    }
  }
  return fields;
}

/** Content-Length = 1*DIGIT (RFC 9110 §8.6), decimal even with leading zeros, at most 2^53 - 1. */
export function parseContentLength(value: string): number {
  if (value.length === 0) throw new Http1ParseError('invalid_content_length', 'empty Content-Length');
  let length = 0;
  for (let i = 0; i < value.length; i++) {
    const digit = value.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) {
      if (value.includes(',')) {
        throw new Http1ParseError('duplicate_content_length', `Content-Length list ${excerpt(value)}`);
      }
      throw new Http1ParseError(
        'invalid_content_length',
        `Content-Length ${excerpt(value)} is not decimal digits`,
      );
    }
    length = length * 10 + digit;
    if (length > Number.MAX_SAFE_INTEGER) {
      throw new Http1ParseError('invalid_content_length', 'Content-Length above 2^53 - 1');
    }
  }
  return length;
}

/**
 * Accepts a Transfer-Encoding list only if it is exactly `chunked` (any case). Anything
 * else is refused rather than normalized, since each variant is a known desync vector:
 * empty elements (`,chunked`), `chunked` not last or twice → 400 (RFC 9112 §6.3 says the
 * length cannot be determined); a real coding before it (`gzip, chunked`) → 501, because
 * the proxy implements no other transfer coding.
 */
export function checkTransferEncoding(value: string): void {
  if (value === 'chunked') return;
  const codings = splitList(value);
  for (const coding of codings) {
    if (!isToken(coding)) {
      throw new Http1ParseError(
        'invalid_transfer_encoding',
        `Transfer-Encoding ${excerpt(value)} is not a list of codings`,
      );
    }
  }
  if (!isChunked(codings[codings.length - 1]!) || codings.filter(isChunked).length > 1) {
    throw new Http1ParseError(
      'invalid_transfer_encoding',
      `'chunked' is not the final coding, once, in ${excerpt(value)}`,
    );
  }
  if (codings.length > 1) {
    throw new Http1ParseError('unsupported_transfer_coding', `Transfer-Encoding ${excerpt(value)}`);
  }
}

function isChunked(coding: string): boolean {
  return coding.length === 7 && coding.toLowerCase() === 'chunked';
}

function readConnectionOptions(value: string, fields: ControlFields): void {
  for (const option of splitList(value)) {
    if (option === '') continue; // empty list elements are ignored (RFC 9110 §5.6.1)
    if (!isToken(option)) throw new Http1ParseError('invalid_connection', `Connection ${excerpt(value)}`);
    switch (option.toLowerCase()) {
      case 'close':
        fields.connectionClose = true;
        break;
      case 'keep-alive':
        fields.connectionKeepAlive = true;
        break;
      case 'upgrade':
        fields.connectionUpgrade = true;
        break;
    }
  }
}

function joinLines(previous: string | undefined, value: string): string {
  return previous === undefined ? value : `${previous}, ${value}`;
}
