/**
 * Writes HTTP/1.1 heads and chunked framing for `socket.write`.
 *
 * The proxy never forwards received framing text: the caller passes headers without
 * Content-Length, Transfer-Encoding and the other hop-by-hop fields (`forwardableHeaders`),
 * and says how the body is framed; the serializer writes exactly one framing field. It refuses
 * (TypeError) anything that could split a message: CR/LF or other CTLs in any part, a
 * non-token name, or a framing field smuggled in through `headers`.
 *
 * Heads are strings with one char per byte; write them with the 'latin1' encoding.
 */
import { TARGET } from './char-classes.js';
import { isToken, isValidHeaderValue } from './headers.js';

/** How the body that follows a head is delimited: a Content-Length of N bytes, chunked, or no body. */
export type BodyFraming = number | 'chunked' | 'none';

const CRLF = '\r\n';
const CRLF_BYTES = Buffer.from(CRLF, 'latin1');

/** The last-chunk and empty trailer section that end a chunked body. */
export const LAST_CHUNK: Buffer = Buffer.from('0\r\n\r\n', 'latin1');

/** Reason phrases for the statuses a proxy commonly writes itself. */
const REASONS: ReadonlyMap<number, string> = new Map([
  [100, 'Continue'],
  [101, 'Switching Protocols'],
  [200, 'OK'],
  [201, 'Created'],
  [204, 'No Content'],
  [206, 'Partial Content'],
  [301, 'Moved Permanently'],
  [302, 'Found'],
  [304, 'Not Modified'],
  [307, 'Temporary Redirect'],
  [308, 'Permanent Redirect'],
  [400, 'Bad Request'],
  [401, 'Unauthorized'],
  [403, 'Forbidden'],
  [404, 'Not Found'],
  [405, 'Method Not Allowed'],
  [408, 'Request Timeout'],
  [413, 'Content Too Large'],
  [414, 'URI Too Long'],
  [417, 'Expectation Failed'],
  [426, 'Upgrade Required'],
  [429, 'Too Many Requests'],
  [431, 'Request Header Fields Too Large'],
  [500, 'Internal Server Error'],
  [501, 'Not Implemented'],
  [502, 'Bad Gateway'],
  [503, 'Service Unavailable'],
  [504, 'Gateway Timeout'],
  [505, 'HTTP Version Not Supported'],
]);

/** `method target HTTP/1.1`, the fields, the framing field, and the empty line. */
export function serializeRequestHead(
  method: string,
  target: string,
  headers: readonly string[],
  framing: BodyFraming,
): string {
  if (!isToken(method)) throw new TypeError(`invalid method ${JSON.stringify(method)}`);
  if (!isValidTarget(target)) throw new TypeError(`invalid request-target ${JSON.stringify(target)}`);
  return `${method} ${target} HTTP/1.1${CRLF}${fieldLines(headers)}${framingLine(framing)}${CRLF}`;
}

/** `HTTP/1.1 status reason`, the fields, the framing field, and the empty line. */
export function serializeResponseHead(
  status: number,
  reason: string | undefined,
  headers: readonly string[],
  framing: BodyFraming,
): string {
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new TypeError(`invalid status ${status}`);
  }
  // RFC 9110 §8.6, RFC 9112 §6.1: no framing field in 1xx and 204.
  if ((status < 200 || status === 204) && framing !== 'none') {
    throw new TypeError(`a ${status} response cannot have a body`);
  }
  const phrase = reason ?? REASONS.get(status) ?? '';
  if (!isValidHeaderValue(phrase)) throw new TypeError(`invalid reason phrase ${JSON.stringify(phrase)}`);
  return `HTTP/1.1 ${status} ${phrase}${CRLF}${fieldLines(headers)}${framingLine(framing)}${CRLF}`;
}

/** The size line of a chunk of `size` bytes (size > 0), for writing the data after it without a copy. */
export function chunkSizeLine(size: number): string {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`invalid chunk size ${size}`);
  return `${size.toString(16)}${CRLF}`;
}

/**
 * One chunk as a single buffer: size line, data, CRLF. Copies `data`, which beats three
 * writes for the usual small chunks; for large ones write `chunkSizeLine`, the data and
 * CRLF under `socket.cork()`. Empty data gives an empty buffer: a 0-size chunk would end the body.
 */
export function encodeChunk(data: Uint8Array): Buffer {
  if (data.length === 0) return Buffer.alloc(0);
  const sizeLine = chunkSizeLine(data.length);
  const chunk = Buffer.allocUnsafe(sizeLine.length + data.length + 2);
  chunk.write(sizeLine, 0, 'latin1');
  chunk.set(data, sizeLine.length);
  CRLF_BYTES.copy(chunk, sizeLine.length + data.length);
  return chunk;
}

/** The end of a chunked body, with a trailer section when `trailers` (flat list) is not empty. */
export function encodeLastChunk(trailers?: readonly string[]): Buffer {
  if (trailers === undefined || trailers.length === 0) return LAST_CHUNK;
  return Buffer.from(`0${CRLF}${fieldLines(trailers)}${CRLF}`, 'latin1');
}

function framingLine(framing: BodyFraming): string {
  if (framing === 'none') return '';
  if (framing === 'chunked') return `transfer-encoding: chunked${CRLF}`;
  if (!Number.isSafeInteger(framing) || framing < 0) throw new TypeError(`invalid content length ${framing}`);
  return `content-length: ${framing}${CRLF}`;
}

function fieldLines(headers: readonly string[]): string {
  if (headers.length % 2 !== 0) throw new TypeError('headers must be [name, value] pairs');
  let lines = '';
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (!isToken(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    if (isFramingField(name)) {
      throw new TypeError(`${name} is written by the serializer, not passed in headers`);
    }
    if (!isValidHeaderValue(value)) throw new TypeError(`invalid value for header ${name}`);
    lines += `${name}: ${value}${CRLF}`;
  }
  return lines;
}

function isFramingField(name: string): boolean {
  return (
    (name.length === 14 && name.toLowerCase() === 'content-length') ||
    (name.length === 17 && name.toLowerCase() === 'transfer-encoding')
  );
}

/** Visible ASCII only, as the request parser accepts. */
function isValidTarget(target: string): boolean {
  if (target.length === 0) return false;
  for (let i = 0; i < target.length; i++) {
    const code = target.charCodeAt(i);
    if (code > 0xff || TARGET[code] === 0) return false;
  }
  return true;
}
