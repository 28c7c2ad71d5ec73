/**
 * The HTTP/1.1 codec: strict incremental parsers for both directions, and the serializer.
 *
 * Decisions where the RFCs leave a choice (each pinned by tests):
 * - Versions: only `HTTP/1.0` and `HTTP/1.1`. Other well-formed versions (`HTTP/2.0`,
 *   `HTTP/0.9`) are 505; malformed ones (`HTTP/1.32`, `http/1.1`) are 400.
 * - Methods: upper-case tokens only; `get` is 400 (Envoy/Istio behaviour).
 * - Request-target: visible ASCII only (no raw UTF-8); kept verbatim, fragment included,
 *   for the path normalizer.
 * - Content-Length: any repeat or list is 400, even identical (`5, 5`).
 * - Transfer-Encoding: exactly `chunked` (any case, OWS around it) or nothing. Lists are
 *   refused, never normalized: `,chunked`, `chunked, chunked`, `chunked, identity` → 400;
 *   `gzip, chunked` → 501. Repeated lines are joined first, so they follow the same rule.
 *   With Content-Length, or in HTTP/1.0: 400. Upstream responses get the same rules (502).
 * - Keep-alive: HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
 *   `Connection: keep-alive` (and without close).
 * - One empty line before a request line is ignored (RFC 9112 §2.2); more is 400.
 * - Host: exactly once in 1.1, at most once in 1.0, URI authority characters only.
 * - Chunk sizes: at most 16 hex digits and 2^53 - 1; extensions follow the RFC grammar
 *   (BWS included) and share one byte budget per message (413 beyond it).
 * - Nothing is parsed after a CONNECT or Upgrade request: what follows is tunnel data.
 */
export { type Http1ErrorCode, type Http1ErrorStatus, Http1ParseError } from './errors.js';
export {
  connectionOptions,
  forwardableHeaders,
  getHeader,
  getHeaderValues,
  HOP_BY_HOP_HEADERS,
  hopByHopNames,
  isToken,
  isValidHeaderValue,
  removeHeaders,
  splitList,
} from './headers.js';
export { DEFAULT_LIMITS, type Http1Limits } from './limits.js';
export { type RequestHead, RequestParser, type RequestParserHandler } from './request-parser.js';
export {
  type AnsweredRequest,
  MAX_INFORMATIONAL_RESPONSES,
  type ResponseHead,
  ResponseParser,
  type ResponseParserHandler,
} from './response-parser.js';
export {
  type BodyFraming,
  chunkSizeLine,
  encodeChunk,
  encodeLastChunk,
  LAST_CHUNK,
  serializeRequestHead,
  serializeResponseHead,
} from './serializer.js';
