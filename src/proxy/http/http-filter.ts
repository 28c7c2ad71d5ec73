/**
 * The contract between the HTTP connection manager and HTTP filters, after Envoy's
 * `envoy/http/filter.h`. Filters run in configured order on the request (decode) and in
 * reverse on the response (encode). A filter that returns `'stop'` from `decodeHeaders`
 * owns the request until it calls `stream.continueDecoding()`; the router is terminal and
 * never continues.
 */
import type { Socket } from 'node:net';
import type { RouteDecision, RouteRequest, RouteTable } from '../router/route-table.js';
import type { ResponseFlag } from './response-flags.js';

export type FilterStatus = 'continue' | 'stop';

/** Where request body bytes go once a filter (the router) is ready for them. */
export interface BodySink {
  /** Returns false when the sink is full; the stream pauses the downstream until `resumeRequestBody`. */
  onData(chunk: Buffer): boolean;
  onEnd(trailers: string[] | undefined): void;
}

export interface ResponseHead {
  status: number;
  /** Flat [name, value, ...] with lower-case names; framing and hop-by-hop headers already removed. */
  headers: string[];
  /** Body length when known in advance (upstream content-length), else -1. */
  contentLength: number;
}

/** One HTTP request/response exchange as filters see it. */
export interface HttpStream extends RouteRequest {
  readonly method: string;
  /** The normalized path (with query) used for routing and forwarding. */
  path: string;
  /** Host / :authority. */
  authority: string;
  readonly scheme: 'http' | 'https';
  /** Flat [name, value, ...], lower-case names, hop-by-hop headers removed; filters may edit it. */
  headers: string[];
  readonly versionMinor: 0 | 1;
  /** Request body length if known (content-length), 0 if no body, -1 if chunked. */
  readonly requestContentLength: number;
  readonly downstreamSocket: Socket;
  readonly downstreamRemoteAddress: string;
  /** The downstream peer address routing and hash policies use (same as downstreamRemoteAddress). */
  readonly sourceAddress: string;
  readonly downstreamRemotePort: number;
  readonly downstreamLocalAddress: string;
  readonly downstreamLocalPort: number;
  readonly startTime: number;

  /** The route configuration this stream is matched against. */
  readonly routeTable: RouteTable;
  /** The route for the current headers, cached; `clearRouteCache()` after changing what routing reads. */
  route(): RouteDecision | undefined;
  clearRouteCache(): void;

  addResponseFlag(flag: ResponseFlag): void;
  readonly responseFlags: readonly ResponseFlag[];
  /** Why the response is what it is (Envoy's `%RESPONSE_CODE_DETAILS%`). */
  responseCodeDetails: string;
  upstreamHost: string | undefined;
  upstreamCluster: string | undefined;

  /** Route idle_timeout: replaces the connection manager's stream_idle_timeout for this stream; 0 disables. */
  setIdleTimeout(ms: number): void;
  /** Route max_stream_duration: replaces the connection manager's for this stream, counted from its start; 0 disables. */
  setMaxStreamDuration(ms: number): void;

  /** Resumes the filter chain after a filter returned 'stop'. */
  continueDecoding(): void;

  /** Starts delivering request body (and any bytes buffered so far) to the sink. */
  attachBodySink(sink: BodySink): void;
  pauseRequestBody(): void;
  resumeRequestBody(): void;

  /** True once response headers have gone to the client: after that only a reset can signal failure. */
  readonly responseStarted: boolean;
  /** Sends response headers through the encode filters to the client. */
  sendResponseHeaders(head: ResponseHead, endStream: boolean): void;
  /** Returns false when the client is slow; the caller pauses its source until `onResponseDrain`. */
  sendResponseData(chunk: Buffer): boolean;
  sendResponseEnd(): void;
  /** Writes response headers still held back for coalescing; call when a source read ends. */
  flushResponse(): void;
  onResponseDrain(callback: () => void): void;

  /** Answers locally (Envoy's sendLocalReply) unless the response has started, in which case it resets. */
  sendLocalReply(
    status: number,
    body: string,
    flag: ResponseFlag | undefined,
    details: string,
    headers?: string[],
  ): void;
  /** Aborts the exchange: closes the client connection abruptly. */
  reset(details: string): void;

}

export interface HttpFilter {
  decodeHeaders(stream: HttpStream): FilterStatus;
  /** Sees (and may edit) response headers; local replies pass through here too. */
  encodeHeaders?(stream: HttpStream, head: ResponseHead): void;
  /** Called once when the stream ends, successfully or not. */
  onDestroy?(): void;
}
