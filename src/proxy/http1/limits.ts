/** Size limits of the HTTP/1.1 codec: what a peer may make the proxy buffer before it is refused. */
export interface Http1Limits {
  /** Bytes of the request line (or status line), CRLF excluded. Over it: 414. */
  readonly maxRequestLineBytes: number;
  /** Bytes of all header lines together, each counted with its CRLF; trailers get the same budget. Over it: 431. */
  readonly maxHeadersBytes: number;
  /** Number of header lines (and, separately, trailer lines). Over it: 431. */
  readonly maxHeadersCount: number;
  /** Bytes between the chunk size and the CRLF, summed over all chunks of one message. Over it: 413. */
  readonly maxChunkExtensionBytes: number;
}

/** Envoy's header defaults (60 KiB, 100 headers) and Node's 16 KiB for the request line and chunk extensions. */
export const DEFAULT_LIMITS: Http1Limits = Object.freeze({
  maxRequestLineBytes: 16 * 1024,
  maxHeadersBytes: 60 * 1024,
  maxHeadersCount: 100,
  maxChunkExtensionBytes: 16 * 1024,
});
