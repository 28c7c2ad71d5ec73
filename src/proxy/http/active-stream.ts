/**
 * One request/response exchange on a downstream HTTP/1.1 connection: runs the HTTP filter
 * chain, buffers request body until a filter takes it, and writes the response with framing
 * the proxy chooses. It is also the `RouteRequest` the route table matches, so routing
 * allocates nothing extra.
 */
import type { RouteDecision, RouteRequest, RouteTable } from '../router/route-table.js';
import type { AccessLogger, LoggedExchange } from './access-log.js';
import { countStatusClass } from './hcm-stats.js';
import type { BodySink, FilterStatus, HttpFilter, HttpStream, ResponseHead } from './http-filter.js';
import type { Http1ServerConnection } from './http1-server-connection.js';
import { type ResponseFlag, reasonPhrase } from './response-flags.js';

const CRLF = '\r\n';
/** Body chunks up to this size are copied next to the head so both leave in one write. */
const COALESCE_LIMIT = 64 * 1024;

/** One buffer: latin1 prefix, body, latin1 suffix. */
function frame(prefix: string, body: Buffer, suffix: string): Buffer {
  const out = Buffer.allocUnsafe(prefix.length + body.length + suffix.length);
  out.write(prefix, 0, 'latin1');
  body.copy(out, prefix.length);
  if (suffix !== '') out.write(suffix, prefix.length + body.length, 'latin1');
  return out;
}

export interface StreamInit {
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly headers: string[];
  readonly versionMinor: 0 | 1;
  readonly requestContentLength: number;
  readonly keepAlive: boolean;
  readonly expectContinue: boolean;
  readonly requestId: string;
}

export class ActiveStream implements HttpStream, RouteRequest {
  readonly connection: Http1ServerConnection;
  readonly method: string;
  path: string;
  authority: string;
  headers: string[];
  readonly versionMinor: 0 | 1;
  readonly requestContentLength: number;
  readonly requestId: string;
  readonly startTime = Date.now();
  readonly startHr = performance.now();
  responseCodeDetails = '';
  upstreamHost: string | undefined;
  upstreamCluster: string | undefined;
  readonly responseFlags: ResponseFlag[] = [];

  /** Whether the connection may serve another request after this one. */
  keepAlive: boolean;
  requestComplete = false;
  responseStarted = false;
  responseComplete = false;
  destroyed = false;
  responseStatus = 0;
  /** Bytes of response body written, for access logs. */
  responseBodyBytes = 0;
  requestBodyBytes = 0;

  private readonly expectContinue: boolean;
  private readonly filters: HttpFilter[];
  private filterIndex = 0;
  private cachedRoute: RouteDecision | undefined | null = null;
  private sink: BodySink | undefined;
  private bufferedBody: Buffer[] = [];
  private bufferedBytes = 0;
  private trailers: string[] | undefined;
  private chunkedResponse = false;
  private noResponseBody = false;
  /**
   * The response head, held back until the first body bytes, the end, or the end of the
   * current upstream read (`flushResponse`), so head and body leave in one write.
   */
  private pendingHead: string | undefined;
  /** Response headers as sent, for access logs. */
  private responseHeaders: readonly string[] = [];

  constructor(connection: Http1ServerConnection, init: StreamInit) {
    this.connection = connection;
    this.method = init.method;
    this.path = init.path;
    this.authority = init.authority;
    this.headers = init.headers;
    this.versionMinor = init.versionMinor;
    this.requestContentLength = init.requestContentLength;
    this.keepAlive = init.keepAlive;
    this.expectContinue = init.expectContinue;
    this.requestId = init.requestId;
    this.filters = connection.config.filterFactories.map((make) => make());
  }

  // --- RouteRequest -------------------------------------------------------------------
  get scheme(): 'http' | 'https' {
    return this.connection.scheme;
  }
  get sourceAddress(): string {
    return this.connection.info.remoteAddress;
  }
  get downstreamSocket() {
    return this.connection.socket;
  }
  get downstreamRemoteAddress(): string {
    return this.connection.info.remoteAddress;
  }
  get downstreamRemotePort(): number {
    return this.connection.info.remotePort;
  }
  get downstreamLocalAddress(): string {
    return this.connection.info.localAddress;
  }
  get downstreamLocalPort(): number {
    return this.connection.info.localPort;
  }

  get routeTable(): RouteTable {
    return this.connection.config.routeTable;
  }

  route(): RouteDecision | undefined {
    if (this.cachedRoute === null) this.cachedRoute = this.connection.config.routeTable.route(this);
    return this.cachedRoute;
  }

  clearRouteCache(): void {
    this.cachedRoute = null;
  }

  addResponseFlag(flag: ResponseFlag): void {
    if (!this.responseFlags.includes(flag)) this.responseFlags.push(flag);
  }

  // --- decode path --------------------------------------------------------------------
  /** Runs decode filters from the current position until one stops. */
  decodeHeaders(): void {
    while (this.filterIndex < this.filters.length && !this.destroyed && !this.responseComplete) {
      const filter = this.filters[this.filterIndex++]!;
      let status: FilterStatus;
      try {
        status = filter.decodeHeaders(this);
      } catch (err) {
        // A filter bug must not take the proxy down: answer 500 and keep serving.
        this.connection.logFilterError(err);
        this.sendLocalReply(500, 'internal error', undefined, 'filter_threw');
        return;
      }
      if (status === 'stop') return;
    }
  }

  continueDecoding(): void {
    if (!this.destroyed) this.decodeHeaders();
  }

  onRequestData(chunk: Buffer): void {
    this.requestBodyBytes += chunk.length;
    if (this.responseComplete || this.destroyed) return; // answered early: drain and drop
    if (this.sink) {
      if (!this.sink.onData(chunk)) this.connection.pauseReading();
      return;
    }
    this.bufferedBody.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes > this.connection.bufferLimit) this.connection.pauseReading();
  }

  onRequestEnd(trailers: string[] | undefined): void {
    this.requestComplete = true;
    this.trailers = trailers;
    if (this.sink && !this.destroyed && !this.responseComplete) this.sink.onEnd(trailers);
  }

  attachBodySink(sink: BodySink): void {
    this.sink = sink;
    if (this.expectContinue && !this.requestComplete && this.bufferedBytes === 0) {
      // Envoy answers 100-continue itself (proxy_100_continue false) once the body is wanted.
      this.connection.write(`HTTP/1.1 100 Continue${CRLF}${CRLF}`);
    }
    const buffered = this.bufferedBody;
    this.bufferedBody = [];
    this.bufferedBytes = 0;
    let full = false;
    for (const chunk of buffered) if (!sink.onData(chunk)) full = true;
    if (this.requestComplete) sink.onEnd(this.trailers);
    if (full) this.connection.pauseReading();
    else this.connection.resumeReading();
  }

  pauseRequestBody(): void {
    this.connection.pauseReading();
  }

  resumeRequestBody(): void {
    this.connection.resumeReading();
  }

  // --- encode path --------------------------------------------------------------------
  sendResponseHeaders(head: ResponseHead, endStream: boolean): void {
    if (this.responseStarted || this.destroyed) return;
    for (let i = this.filters.length - 1; i >= 0; i--) this.filters[i]!.encodeHeaders?.(this, head);
    this.responseStarted = true;
    this.responseStatus = head.status;
    this.responseHeaders = head.headers;
    const config = this.connection.config;
    const status = head.status;
    this.noResponseBody = this.method === 'HEAD' || status === 204 || status === 304 || status < 200;
    let out = `HTTP/1.1 ${status} ${reasonPhrase(status)}${CRLF}`;
    const headers = head.headers;
    let hasServer = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name === 'server') {
        if (config.serverHeader === 'OVERWRITE') continue;
        hasServer = true;
      }
      out += `${name}: ${headers[i + 1]!}${CRLF}`;
    }
    if (!hasServer && config.serverHeader !== 'PASS_THROUGH') out += `server: ${config.serverName}${CRLF}`;
    if (config.alwaysSetRequestIdInResponse && this.requestId)
      out += `x-request-id: ${this.requestId}${CRLF}`;
    if (head.contentLength >= 0) {
      if (status !== 204 && status >= 200) out += `content-length: ${head.contentLength}${CRLF}`;
    } else if (!this.noResponseBody && !endStream) {
      if (this.versionMinor === 1) {
        this.chunkedResponse = true;
        out += `transfer-encoding: chunked${CRLF}`;
      } else {
        this.keepAlive = false; // HTTP/1.0 client: the body ends when the connection closes
      }
    } else if (!this.noResponseBody) {
      out += `content-length: 0${CRLF}`;
    }
    if (!this.connection.mayKeepAlive(this)) this.keepAlive = false;
    if (!this.keepAlive) out += `connection: close${CRLF}`;
    else if (this.versionMinor === 0) out += `connection: keep-alive${CRLF}`;
    this.pendingHead = out + CRLF;
    if (endStream) this.sendResponseEnd();
  }

  sendResponseData(chunk: Buffer): boolean {
    if (this.destroyed || this.responseComplete || this.noResponseBody || chunk.length === 0) return true;
    // The first chunk rides on the activity that produced the head; later ones count as activity.
    if (this.responseBodyBytes > 0) this.connection.streamActivity();
    this.responseBodyBytes += chunk.length;
    const prefix = this.chunkedResponse
      ? `${this.takeHead()}${chunk.length.toString(16)}${CRLF}`
      : this.takeHead();
    const suffix = this.chunkedResponse ? CRLF : '';
    if (prefix === '' && suffix === '') return this.connection.write(chunk);
    if (chunk.length > COALESCE_LIMIT) {
      this.connection.write(prefix);
      this.connection.write(chunk);
      return suffix === '' || this.connection.write(suffix);
    }
    return this.connection.write(frame(prefix, chunk, suffix));
  }

  sendResponseEnd(): void {
    if (this.destroyed || this.responseComplete) return;
    const tail = this.takeHead() + (this.chunkedResponse ? `0${CRLF}${CRLF}` : '');
    if (tail !== '') this.connection.write(tail);
    this.responseComplete = true;
    this.finish();
  }

  /** Sends a held-back response head now (the upstream's read ended without body bytes). */
  flushResponse(): void {
    const head = this.takeHead();
    if (head !== '') this.connection.write(head);
  }

  private takeHead(): string {
    const head = this.pendingHead;
    if (head === undefined) return '';
    this.pendingHead = undefined;
    return head;
  }

  setMaxStreamDuration(ms: number): void {
    this.connection.setMaxStreamDuration(ms);
  }

  setIdleTimeout(ms: number): void {
    this.connection.setStreamIdleTimeout(ms);
  }

  onResponseDrain(callback: () => void): void {
    this.connection.onDrain(callback);
  }

  sendLocalReply(
    status: number,
    body: string,
    flag: ResponseFlag | undefined,
    details: string,
    headers: string[] = [],
  ): void {
    if (this.destroyed || this.responseComplete) return;
    if (flag) this.addResponseFlag(flag);
    this.responseCodeDetails = details;
    if (this.responseStarted) {
      this.reset(details);
      return;
    }
    const bytes = Buffer.from(body, 'utf8');
    const all = body ? [...headers, 'content-type', 'text/plain'] : [...headers];
    all.push('date', new Date().toUTCString());
    this.sendResponseHeaders({ status, headers: all, contentLength: bytes.length }, bytes.length === 0);
    if (bytes.length > 0) {
      this.sendResponseData(bytes);
      this.sendResponseEnd();
    }
  }

  reset(details: string): void {
    if (this.destroyed) return;
    if (!this.responseCodeDetails) this.responseCodeDetails = details;
    this.addResponseFlag('LR');
    this.connection.config.stats.downstream_rq_tx_reset.inc();
    this.connection.destroy();
  }

  /** The downstream went away or the connection was destroyed before the response completed. */
  downstreamReset(reason: string): void {
    if (this.destroyed || this.responseComplete) return;
    if (reason === 'downstream_remote_disconnect') {
      this.addResponseFlag('DC');
      this.connection.config.stats.downstream_rq_rx_reset.inc();
    }
    this.finish(); // filters' onDestroy releases their upstream work
  }

  private log(loggers: readonly AccessLogger[], durationMs: number): void {
    const exchange: LoggedExchange = {
      startTime: this.startTime,
      durationMs,
      method: this.method,
      path: this.path,
      authority: this.authority,
      protocol: this.versionMinor === 1 ? 'HTTP/1.1' : 'HTTP/1.0',
      requestHeaders: this.headers,
      responseHeaders: this.responseHeaders,
      responseCode: this.responseStarted ? this.responseStatus : 0,
      responseFlags: this.responseFlags,
      responseCodeDetails: this.responseCodeDetails,
      bytesReceived: this.requestBodyBytes,
      bytesSent: this.responseBodyBytes,
      upstreamHost: this.upstreamHost,
      upstreamCluster: this.upstreamCluster,
      downstreamRemoteAddress: `${this.downstreamRemoteAddress}:${this.downstreamRemotePort}`,
      downstreamLocalAddress: `${this.downstreamLocalAddress}:${this.downstreamLocalPort}`,
    };
    for (const logger of loggers) logger(exchange);
  }

  private finish(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const stats = this.connection.config.stats;
    stats.downstream_rq_active.dec();
    if (this.responseComplete) {
      stats.downstream_rq_completed.inc();
      countStatusClass(stats, this.responseStatus);
    }
    const durationMs = performance.now() - this.startHr;
    stats.downstream_rq_time.record(durationMs);
    const loggers = this.connection.config.accessLoggers;
    if (loggers.length > 0) this.log(loggers, durationMs);
    for (const filter of this.filters) filter.onDestroy?.();
    this.connection.onStreamDone(this);
  }
}
