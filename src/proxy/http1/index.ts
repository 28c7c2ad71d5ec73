/** The HTTP/1.1 codec: strict incremental parsers for both directions, and the serializer. */
export { type Http1ErrorCode, type Http1ErrorStatus, Http1ParseError } from './errors.js';
export {
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
