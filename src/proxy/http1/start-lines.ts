/**
 * Pass two over start lines: the request line (RFC 9112 §3) and the status line (§4), the
 * first line of a complete block. Exactly one SP between parts; no leniency for tabs, extra
 * spaces or lower-case versions, since every leniency is a chance for two parsers to disagree.
 */
import { FIELD_VALUE, isDigit, isLowerAlpha, SP, TARGET, TOKEN } from './char-classes.js';
import { describeByte, excerpt, Http1ParseError } from './errors.js';
import type { DecodedBlock } from './line-block-reader.js';

export interface RequestLine {
  method: string;
  target: string;
  versionMinor: 0 | 1;
}

export interface StatusLine {
  versionMinor: 0 | 1;
  status: number;
  reason: string;
}

const HTTP_SLASH = Buffer.from('HTTP/', 'latin1');

/** Parses `method SP request-target SP HTTP-version`, the block's first line. */
export function parseRequestLine(block: DecodedBlock): RequestLine {
  const { bytes, base, text, lines } = block;
  const start = lines[0]!;
  const end = lines[1]!;
  let i = start;
  for (; i < end; i++) {
    const byte = bytes[base + i]!;
    if (byte === SP) break;
    // Methods are case-sensitive tokens; like Envoy/Istio we refuse lower case (`get`) outright.
    if (TOKEN[byte] === 0 || isLowerAlpha(byte)) {
      throw new Http1ParseError('invalid_method', `byte ${describeByte(byte)} in method`);
    }
  }
  if (i === start) throw new Http1ParseError('invalid_method', 'empty method');
  if (i === end) throw new Http1ParseError('invalid_target', 'request line has no request-target');
  const method = text.slice(start, i);

  const targetStart = i + 1;
  for (i = targetStart; i < end; i++) {
    const byte = bytes[base + i]!;
    if (byte === SP) break;
    if (TARGET[byte] === 0) {
      throw new Http1ParseError('invalid_target', `byte ${describeByte(byte)} in request-target`);
    }
  }
  if (i === targetStart) throw new Http1ParseError('invalid_target', 'empty request-target');
  if (i === end) throw new Http1ParseError('invalid_version', 'request line has no HTTP-version');
  const target = text.slice(targetStart, i);

  return { method, target, versionMinor: parseHttpVersion(block, i + 1, end) };
}

/** Parses `HTTP-version SP status-code [SP reason-phrase]`, the block's first line. */
export function parseStatusLine(block: DecodedBlock): StatusLine {
  const { bytes, base, text, lines } = block;
  const start = lines[0]!;
  const end = lines[1]!;
  const versionEnd = start + 8; // "HTTP/1.1"
  if (end < versionEnd + 4 || bytes[base + versionEnd] !== SP) {
    throw new Http1ParseError('invalid_status_line', 'status line is not "HTTP/x.y NNN ..."');
  }
  const versionMinor = parseHttpVersion(block, start, versionEnd);

  let status = 0;
  for (let i = base + versionEnd + 1; i < base + versionEnd + 4; i++) {
    if (!isDigit(bytes[i]!)) throw new Http1ParseError('invalid_status_line', 'status code is not 3 digits');
    status = status * 10 + (bytes[i]! - 0x30);
  }
  if (status < 100 || status > 599) throw new Http1ParseError('invalid_status_line', `status code ${status}`);

  // The SP before an empty reason-phrase is often left out; accepting that changes no framing.
  if (end > versionEnd + 4 && bytes[base + versionEnd + 4] !== SP) {
    throw new Http1ParseError('invalid_status_line', 'no SP after the status code');
  }
  const reasonStart = versionEnd + 5;
  for (let i = reasonStart; i < end; i++) {
    const byte = bytes[base + i]!;
    if (FIELD_VALUE[byte] === 0) {
      throw new Http1ParseError('invalid_status_line', `byte ${describeByte(byte)} in reason-phrase`);
    }
  }
  return { versionMinor, status, reason: reasonStart < end ? text.slice(reasonStart, end) : '' };
}

/**
 * Reads exactly `HTTP/1.0` or `HTTP/1.1` at [start, end). Other well-formed versions
 * (`HTTP/2.0`, `HTTP/0.9`, `HTTP/1.2`) get 505 Version Not Supported; anything else
 * (`HTTP/1.32`, `http/1.1`, `HTTP/1.1 `) is 400.
 */
function parseHttpVersion(block: DecodedBlock, start: number, end: number): 0 | 1 {
  const { bytes, base } = block;
  const at = base + start;
  const wellFormed =
    end - start === 8 &&
    bytes.compare(HTTP_SLASH, 0, 5, at, at + 5) === 0 &&
    isDigit(bytes[at + 5]!) &&
    bytes[at + 6] === 0x2e &&
    isDigit(bytes[at + 7]!);
  if (!wellFormed) {
    throw new Http1ParseError(
      'invalid_version',
      `${excerpt(block.text.slice(start, end))} is not an HTTP-version`,
    );
  }
  const major = bytes[at + 5]! - 0x30;
  const minor = bytes[at + 7]! - 0x30;
  if (major !== 1 || minor > 1) {
    throw new Http1ParseError('unsupported_version', `HTTP/${major}.${minor} is not supported`);
  }
  return minor === 0 ? 0 : 1;
}
