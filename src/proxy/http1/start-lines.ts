/**
 * Start lines: the request line (RFC 9112 §3) and the status line (§4). Each is checked
 * byte by byte when it arrives, then cut into strings once the head is complete. Exactly
 * one SP between parts; no leniency for tabs, extra spaces or lower-case versions, since
 * every leniency is a chance for two parsers to disagree.
 */
import { FIELD_VALUE, isDigit, isLowerAlpha, SP, TARGET, TOKEN } from './char-classes.js';
import { describeByte, excerpt, Http1ParseError } from './errors.js';

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

/** Checks a start line when it arrives and cuts it once the head's text is decoded. */
export interface StartLineChecker<T> {
  check(bytes: Buffer, blockStart: number, start: number, end: number): void;
  cut(text: string): T;
}

/** `method SP request-target SP HTTP-version`. Offsets are block-relative. */
export class RequestLineChecker implements StartLineChecker<RequestLine> {
  #methodStart = 0;
  #methodEnd = 0;
  #targetEnd = 0;
  #versionMinor: 0 | 1 = 1;

  check(bytes: Buffer, blockStart: number, start: number, end: number): void {
    let i = start;
    for (; i < end; i++) {
      const byte = bytes[i]!;
      if (byte === SP) break;
      // Methods are case-sensitive tokens; like Envoy/Istio we refuse lower case (`get`) outright.
      if (TOKEN[byte] === 0 || isLowerAlpha(byte)) {
        throw new Http1ParseError('invalid_method', `byte ${describeByte(byte)} in method`);
      }
    }
    if (i === start) throw new Http1ParseError('invalid_method', 'empty method');
    if (i === end) throw new Http1ParseError('invalid_target', 'request line has no request-target');
    const methodEnd = i;

    const targetStart = i + 1;
    for (i = targetStart; i < end; i++) {
      const byte = bytes[i]!;
      if (byte === SP) break;
      if (TARGET[byte] === 0) {
        throw new Http1ParseError('invalid_target', `byte ${describeByte(byte)} in request-target`);
      }
    }
    if (i === targetStart) throw new Http1ParseError('invalid_target', 'empty request-target');
    if (i === end) throw new Http1ParseError('invalid_version', 'request line has no HTTP-version');

    this.#versionMinor = checkHttpVersion(bytes, i + 1, end);
    this.#methodStart = start - blockStart;
    this.#methodEnd = methodEnd - blockStart;
    this.#targetEnd = i - blockStart;
  }

  cut(text: string): RequestLine {
    return {
      method: text.slice(this.#methodStart, this.#methodEnd),
      target: text.slice(this.#methodEnd + 1, this.#targetEnd),
      versionMinor: this.#versionMinor,
    };
  }
}

/** `HTTP-version SP status-code [SP reason-phrase]`. Offsets are block-relative. */
export class StatusLineChecker implements StartLineChecker<StatusLine> {
  #versionMinor: 0 | 1 = 1;
  #status = 0;
  #reasonStart = 0;
  #reasonEnd = 0;

  check(bytes: Buffer, blockStart: number, start: number, end: number): void {
    const versionEnd = start + 8; // "HTTP/1.1"
    if (end < versionEnd + 4 || bytes[versionEnd] !== SP) {
      throw new Http1ParseError('invalid_status_line', 'status line is not "HTTP/x.y NNN ..."');
    }
    this.#versionMinor = checkHttpVersion(bytes, start, versionEnd);

    let status = 0;
    for (let i = versionEnd + 1; i < versionEnd + 4; i++) {
      if (!isDigit(bytes[i]!)) {
        throw new Http1ParseError('invalid_status_line', 'status code is not 3 digits');
      }
      status = status * 10 + (bytes[i]! - 0x30);
    }
    if (status < 100 || status > 599) {
      throw new Http1ParseError('invalid_status_line', `status code ${status}`);
    }

    // The SP before an empty reason-phrase is often left out; accepting that changes no framing.
    if (end > versionEnd + 4 && bytes[versionEnd + 4] !== SP) {
      throw new Http1ParseError('invalid_status_line', 'no SP after the status code');
    }
    const reasonStart = Math.min(versionEnd + 5, end);
    for (let i = reasonStart; i < end; i++) {
      if (FIELD_VALUE[bytes[i]!] === 0) {
        throw new Http1ParseError('invalid_status_line', `byte ${describeByte(bytes[i]!)} in reason-phrase`);
      }
    }
    this.#status = status;
    this.#reasonStart = reasonStart - blockStart;
    this.#reasonEnd = end - blockStart;
  }

  cut(text: string): StatusLine {
    return {
      versionMinor: this.#versionMinor,
      status: this.#status,
      reason: text.slice(this.#reasonStart, this.#reasonEnd),
    };
  }
}

/**
 * Reads exactly `HTTP/1.0` or `HTTP/1.1` at `bytes[start, end)`. Other well-formed versions
 * (`HTTP/2.0`, `HTTP/0.9`, `HTTP/1.2`) get 505 Version Not Supported; anything else
 * (`HTTP/1.32`, `http/1.1`, `HTTP/1.1 `) is 400.
 */
function checkHttpVersion(bytes: Buffer, start: number, end: number): 0 | 1 {
  const wellFormed =
    end - start === 8 &&
    bytes[start] === 0x48 && // H
    bytes[start + 1] === 0x54 && // T
    bytes[start + 2] === 0x54 && // T
    bytes[start + 3] === 0x50 && // P
    bytes[start + 4] === 0x2f && // /
    isDigit(bytes[start + 5]!) &&
    bytes[start + 6] === 0x2e &&
    isDigit(bytes[start + 7]!);
  if (!wellFormed) {
    const version = bytes.toString('latin1', start, end);
    throw new Http1ParseError('invalid_version', `${excerpt(version)} is not an HTTP-version`);
  }
  const major = bytes[start + 5]! - 0x30;
  const minor = bytes[start + 7]! - 0x30;
  if (major !== 1 || minor > 1) {
    throw new Http1ParseError('unsupported_version', `HTTP/${major}.${minor} is not supported`);
  }
  return minor === 0 ? 0 : 1;
}
