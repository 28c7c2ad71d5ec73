/**
 * The one error type of the HTTP/1.1 codec.
 *
 * Every rejection has a stable `code` (for logs, stats and tests) and the HTTP status the
 * proxy answers with before closing the connection. Statuses follow RFC 9110/9112; errors
 * found while reading an upstream response are re-issued with status 502 by the response
 * parser, because the client is not the one at fault.
 */

/** Every code the codec can produce, with the status a server answers for it. */
const STATUS_BY_CODE = {
  // Request line.
  invalid_method: 400,
  invalid_target: 400,
  invalid_version: 400,
  unsupported_version: 505,
  request_line_too_long: 414,
  // Status line (responses only, so 502).
  invalid_status_line: 502,
  status_line_too_long: 502,
  // Line structure and fields.
  bare_lf: 400,
  obs_fold: 400,
  invalid_header_name: 400,
  invalid_header_value: 400,
  headers_too_large: 431,
  too_many_headers: 431,
  // Semantic header rules.
  missing_host: 400,
  duplicate_host: 400,
  invalid_host: 400,
  invalid_connection: 400,
  // Message framing.
  invalid_content_length: 400,
  duplicate_content_length: 400,
  content_length_with_transfer_encoding: 400,
  invalid_transfer_encoding: 400,
  unsupported_transfer_coding: 501,
  transfer_encoding_in_http10: 400,
  body_in_connect: 400,
  body_not_allowed: 502,
  // Chunked coding.
  invalid_chunk_size: 400,
  invalid_chunk_extension: 400,
  chunk_extensions_too_large: 413,
  invalid_chunk_data_end: 400,
  // Connection life cycle.
  data_after_upgrade: 400,
  incomplete_message: 400,
  unexpected_switching_protocols: 502,
  too_many_informational: 502,
  closed_before_response: 502,
} as const;

export type Http1ErrorCode = keyof typeof STATUS_BY_CODE;
export type Http1ErrorStatus = (typeof STATUS_BY_CODE)[Http1ErrorCode];

export class Http1ParseError extends Error {
  readonly code: Http1ErrorCode;
  readonly status: Http1ErrorStatus;
  readonly detail: string;

  constructor(code: Http1ErrorCode, detail: string, status: Http1ErrorStatus = STATUS_BY_CODE[code]) {
    super(`${code}: ${detail}`);
    this.name = 'Http1ParseError';
    this.code = code;
    this.status = status;
    this.detail = detail;
  }

  /** The same error, answered with another status (502 for upstream faults). */
  withStatus(status: Http1ErrorStatus): Http1ParseError {
    return status === this.status ? this : new Http1ParseError(this.code, this.detail, status);
  }
}

/** Renders a byte for error details: printable ASCII as is, anything else as 0xNN. */
export function describeByte(byte: number): string {
  return byte > 0x20 && byte < 0x7f
    ? `'${String.fromCharCode(byte)}'`
    : `0x${byte.toString(16).padStart(2, '0')}`;
}

/** Quotes peer-supplied text for an error detail: escaped (no CR/LF into logs) and cut to 64 chars. */
export function excerpt(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}...` : text);
}
