/**
 * One downstream HTTP/1.1 connection: feeds socket bytes to the strict request parser, turns
 * each request head into an `ActiveStream`, serves pipelined requests strictly one at a time,
 * applies Envoy's connection-level timeouts, and answers framing errors with 400/413/414/431
 * and a close. Nothing a client sends can make it throw.
 */
import type { Socket } from 'node:net';
import type { ConnectionInfo } from '../filters/registry.js';
import type { Http1ParseError } from '../http1/errors.js';
import { connectionOptions, getHeader } from '../http1/headers.js';
import { type RequestHead, RequestParser, type RequestParserHandler } from '../http1/request-parser.js';
import { normalizePath } from '../path/normalize.js';
import { ActiveStream } from './active-stream.js';
import type { HcmConfig } from './hcm-config.js';
import { type DownstreamPeer, isInternalAddress, sanitizeRequestHeaders } from './request-headers.js';
import { reasonPhrase } from './response-flags.js';

export interface ConnectionOwner {
  onConnectionClosed(connection: Http1ServerConnection): void;
  logError(message: string, err: unknown): void;
}

export class Http1ServerConnection implements RequestParserHandler {
  readonly socket: Socket;
  readonly info: ConnectionInfo;
  readonly config: HcmConfig;
  readonly scheme: 'http' | 'https' = 'http';
  /** Bytes of request body buffered before the downstream is paused (per_connection_buffer_limit_bytes). */
  readonly bufferLimit: number;

  private readonly owner: ConnectionOwner;
  private readonly peer: DownstreamPeer;
  private readonly parser: RequestParser;
  private pending: Buffer | undefined;
  private stream: ActiveStream | undefined;
  private requestsServed = 0;
  private paused = false;
  private processing = false;
  private draining = false;
  private closing = false;
  private closed = false;
  private locallyDestroyed = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private streamIdleTimer: NodeJS.Timeout | undefined;
  /** The duration streamIdleTimer was armed with (route idle_timeout may differ from the HCM's). */
  private streamIdleMs = 0;
  private headersTimer: NodeJS.Timeout | undefined;
  private streamTimers: NodeJS.Timeout[] = [];
  /** max_stream_duration, kept apart so a route can replace it. */
  private durationTimer: NodeJS.Timeout | undefined;
  private streamStartedAt = 0;

  constructor(
    socket: Socket,
    info: ConnectionInfo,
    config: HcmConfig,
    owner: ConnectionOwner,
    bufferLimit: number,
  ) {
    this.socket = socket;
    this.info = info;
    this.config = config;
    this.owner = owner;
    this.bufferLimit = bufferLimit;
    this.peer = { address: info.remoteAddress, internal: isInternalAddress(info.remoteAddress) };
    this.parser = new RequestParser(this, config.limits);
    config.stats.downstream_cx_total.inc();
    config.stats.downstream_cx_http1_total.inc();
    config.stats.downstream_cx_active.inc();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', () => {}); // 'close' follows; a reset client is not an error of ours
    socket.on('close', () => this.onClose());
    this.armIdleTimer();
  }

  // --- reading ------------------------------------------------------------------------
  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.pending = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.stream) this.streamIdleTimer?.refresh();
    // Envoy's request_headers_timeout runs from the first byte of a request's headers to the last;
    // an idle kept-alive connection is the idle_timeout's business.
    else this.armHeadersTimer();
    this.process();
  }

  /** Parses as much as may be parsed now: never past the end of the current request. */
  private process(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.pending !== undefined && !this.closing && !this.paused) {
        if (this.stream?.requestComplete) break; // a pipelined request waits for this response
        const data = this.pending;
        this.pending = undefined;
        const consumed = this.parser.execute(data);
        const error = this.parser.error;
        if (error) {
          this.onCodecError(error);
          return;
        }
        if (consumed < data.length) this.pending = data.subarray(consumed);
        if (consumed === 0) break;
      }
      // Bound what a client may pipeline ahead of its responses.
      if (this.pending && this.pending.length > this.bufferLimit) this.pauseReading();
    } finally {
      this.processing = false;
    }
  }

  pauseReading(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.paused || this.closed) return;
    this.paused = false;
    this.socket.resume();
    this.process();
  }

  // --- parser callbacks ---------------------------------------------------------------
  onHead(head: RequestHead): void {
    this.clearTimer(this.headersTimer);
    this.headersTimer = undefined;
    const config = this.config;
    const stats = config.stats;
    stats.downstream_rq_total.inc();
    stats.downstream_rq_http1_total.inc();
    stats.downstream_rq_active.inc();

    const target = this.splitTarget(head);
    const host =
      target?.authority ??
      getHeader(head.headers, 'host') ??
      (head.versionMinor === 0 ? config.defaultHostForHttp10 : '');
    const sanitized = sanitizeRequestHeaders(
      head.headers,
      connectionOptions(head.headers),
      this.peer,
      this.scheme,
      config,
    );
    const stream = new ActiveStream(this, {
      method: head.method,
      path: target?.path ?? head.target,
      authority: this.stripPort(host),
      headers: sanitized?.headers ?? [],
      versionMinor: head.versionMinor,
      requestContentLength: head.chunked ? -1 : Math.max(head.contentLength, 0),
      keepAlive: head.keepAlive && !this.draining,
      expectContinue: head.expectContinue,
      requestId: sanitized?.requestId ?? '',
    });
    this.stream = stream;
    this.startStreamTimers();

    if (head.versionMinor === 0 && !config.acceptHttp10) {
      stream.keepAlive = false;
      stream.sendLocalReply(426, '', undefined, 'low_version');
      return;
    }
    if (!target) {
      stream.keepAlive = false;
      stream.sendLocalReply(400, 'Bad Request', 'DPE', 'http1.invalid_url');
      return;
    }
    if (!host) {
      stream.keepAlive = false;
      stream.sendLocalReply(400, 'Bad Request', 'DPE', 'missing_host_header');
      return;
    }
    if (head.upgrade !== undefined || head.method === 'CONNECT') {
      // No upgrade_configs yet: Envoy refuses the upgrade, and nothing after it is parsed.
      stream.keepAlive = false;
      stream.sendLocalReply(403, '', undefined, 'upgrade_failed');
      return;
    }
    if (!sanitized) {
      stream.keepAlive = false;
      stream.sendLocalReply(400, 'Bad Request', 'DPE', 'unexpected_underscore');
      return;
    }
    if (stream.path !== '*') {
      const normalized = normalizePath(stream.path, {
        normalizePath: config.normalizePath,
        mergeSlashes: config.mergeSlashes,
        escapedSlashesAction: config.escapedSlashesAction,
      });
      if (normalized.kind === 'reject') {
        stream.keepAlive = false;
        stream.sendLocalReply(400, 'Bad Request', 'DPE', 'path_normalization_failed');
        return;
      }
      if (normalized.kind === 'redirect') {
        stream.sendLocalReply(307, '', undefined, 'path_normalization_redirect', [
          'location',
          normalized.path,
        ]);
        return;
      }
      stream.path = normalized.path;
    }
    stream.decodeHeaders();
  }

  onBody(chunk: Buffer): void {
    this.stream?.onRequestData(chunk);
  }

  onMessageComplete(trailers: string[] | undefined): void {
    this.stream?.onRequestEnd(trailers);
  }

  /** origin-form, absolute-form (RFC 9112 §3.2.2: its authority replaces Host), or `*` for OPTIONS. */
  private splitTarget(head: RequestHead): { path: string; authority: string | undefined } | undefined {
    const target = head.target;
    if (target.charCodeAt(0) === 0x2f /* / */) return { path: target, authority: undefined };
    if (target === '*') return head.method === 'OPTIONS' ? { path: '*', authority: undefined } : undefined;
    if (!this.config.allowAbsoluteUrl) return undefined;
    const match = /^https?:\/\/([^/?#]+)([^#]*)/i.exec(target);
    if (!match) return undefined;
    const rest = match[2] ?? '';
    return { authority: match[1], path: rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}` };
  }

  private stripPort(host: string): string {
    const mode = this.config.stripPortMode;
    if (mode === 'none') return host;
    const colon = host.lastIndexOf(':');
    if (colon < 0 || host.endsWith(']')) return host;
    if (mode === 'matching' && host.slice(colon + 1) !== String(this.info.localPort)) return host;
    return host.slice(0, colon);
  }

  // --- writing ------------------------------------------------------------------------
  write(data: string | Buffer): boolean {
    if (this.closed) return true;
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  /**
   * A route's idle_timeout replaces stream_idle_timeout for the current stream (0 disables
   * it), as Envoy's route-level setting does.
   */
  setStreamIdleTimeout(ms: number): void {
    this.armStreamIdle(ms);
  }

  private armStreamIdle(ms: number): void {
    if (this.streamIdleTimer && this.streamIdleMs === ms) {
      this.streamIdleTimer.refresh();
      return;
    }
    this.clearTimer(this.streamIdleTimer);
    this.streamIdleTimer = undefined;
    this.streamIdleMs = ms;
    if (ms > 0) this.streamIdleTimer = setTimeout(() => this.onStreamTimeout('idle'), ms);
  }

  /** Activity on the current stream (body bytes moving) postpones its idle timeout. */
  streamActivity(): void {
    this.streamIdleTimer?.refresh();
  }

  onDrain(callback: () => void): void {
    this.socket.once('drain', callback);
  }

  /** Whether the response being started may leave the connection open. */
  mayKeepAlive(stream: ActiveStream): boolean {
    if (this.draining || this.closing || !stream.requestComplete) return false;
    const max = this.config.maxRequestsPerConnection;
    return max === 0 || this.requestsServed + 1 < max;
  }

  // --- stream lifecycle ---------------------------------------------------------------
  onStreamDone(stream: ActiveStream): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.requestsServed++;
    this.clearStreamTimers();
    if (!stream.responseComplete) return; // reset: the connection is being destroyed
    if (!stream.keepAlive || this.draining || !stream.requestComplete) {
      if (this.draining) this.config.stats.downstream_cx_drain_close.inc();
      this.closeGracefully();
      return;
    }
    this.idleTimer?.refresh();
    if (this.pending !== undefined) this.armHeadersTimer();
    if (this.paused && !this.stream) this.resumeReading();
    else this.process();
  }

  logFilterError(err: unknown): void {
    this.owner.logError('HTTP filter threw', err);
  }

  private onCodecError(error: Http1ParseError): void {
    this.config.stats.downstream_cx_protocol_error.inc();
    if (error.status === 413) this.config.stats.downstream_rq_too_large.inc();
    const stream = this.stream;
    if (stream && !stream.destroyed) {
      stream.keepAlive = false;
      stream.sendLocalReply(
        error.status,
        reasonPhrase(error.status),
        'DPE',
        `http1.codec_error{${error.code}}`,
      );
      this.closeGracefully();
      return;
    }
    const body = reasonPhrase(error.status);
    this.write(
      `HTTP/1.1 ${error.status} ${body}\r\ncontent-length: ${body.length}\r\ncontent-type: text/plain\r\n` +
        `server: ${this.config.serverName}\r\nconnection: close\r\n\r\n${body}`,
    );
    this.closeGracefully();
  }

  // --- closing ------------------------------------------------------------------------
  /** Envoy drain: finish the request in flight (its response says connection: close), then close. */
  drain(): void {
    this.draining = true;
    if (!this.stream) {
      this.config.stats.downstream_cx_drain_close.inc();
      this.closeGracefully();
    }
  }

  private onEnd(): void {
    // The client half-closed. A request it completed still gets its response; then we close.
    const stream = this.stream;
    if (stream && !stream.requestComplete) {
      this.destroy(false);
      return;
    }
    if (stream) stream.keepAlive = false;
    else this.closeGracefully();
  }

  private closeGracefully(): void {
    if (this.closing) return;
    this.closing = true;
    this.clearAllTimers();
    this.socket.end();
    // Envoy's delayed_close_timeout: give the client time to read, then force the close.
    setTimeout(() => this.socket.destroy(), Math.max(this.config.delayedCloseTimeoutMs, 1)).unref();
  }

  /** Closes abruptly (a reset), e.g. when an upstream failed after the response started. */
  destroy(local = true): void {
    if (this.closed) return;
    this.locallyDestroyed = local;
    this.closing = true;
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.clearAllTimers();
    const stats = this.config.stats;
    stats.downstream_cx_active.dec();
    stats.downstream_cx_destroy.inc();
    stats.downstream_cx_rx_bytes_total.inc(this.socket.bytesRead);
    stats.downstream_cx_tx_bytes_total.inc(this.socket.bytesWritten);
    const stream = this.stream;
    if (stream)
      stream.downstreamReset(this.locallyDestroyed ? 'local_reset' : 'downstream_remote_disconnect');
    this.owner.onConnectionClosed(this);
  }

  // --- timers (Envoy's HCM timeouts; 0 disables each) ---------------------------------
  private armIdleTimer(): void {
    const ms = this.config.idleTimeoutMs;
    if (ms <= 0) return;
    this.idleTimer = setTimeout(() => {
      if (this.stream) {
        this.idleTimer?.refresh();
        return;
      }
      this.config.stats.downstream_cx_idle_timeout.inc();
      this.closeGracefully();
    }, ms);
    this.idleTimer.unref();
  }

  private armHeadersTimer(): void {
    const ms = this.config.requestHeadersTimeoutMs;
    if (ms <= 0 || this.headersTimer || this.closing) return;
    this.headersTimer = setTimeout(() => {
      this.headersTimer = undefined;
      if (this.stream) return; // the head arrived; stream timers take over
      this.config.stats.downstream_rq_header_timeout.inc();
      this.destroy();
    }, ms);
  }

  private startStreamTimers(): void {
    const config = this.config;
    this.armStreamIdle(config.streamIdleTimeoutMs);
    if (config.requestTimeoutMs > 0) {
      this.streamTimers.push(setTimeout(() => this.onStreamTimeout('request'), config.requestTimeoutMs));
    }
    this.streamStartedAt = performance.now();
    if (config.maxStreamDurationMs > 0) {
      this.durationTimer = setTimeout(() => this.onStreamTimeout('duration'), config.maxStreamDurationMs);
    }
  }

  /**
   * A route's max_stream_duration replaces the connection manager's for the current stream
   * (0 disables it); it still counts from the start of the stream.
   */
  setMaxStreamDuration(ms: number): void {
    this.clearTimer(this.durationTimer);
    this.durationTimer = undefined;
    if (ms <= 0 || !this.stream) return;
    const remaining = Math.max(0, ms - (performance.now() - this.streamStartedAt));
    this.durationTimer = setTimeout(() => this.onStreamTimeout('duration'), remaining);
  }

  private onStreamTimeout(kind: 'idle' | 'request' | 'duration'): void {
    const stream = this.stream;
    if (!stream || stream.destroyed) return;
    const stats = this.config.stats;
    stream.keepAlive = false;
    if (kind === 'idle') {
      stats.downstream_rq_idle_timeout.inc();
      // Envoy: 408 while the request is still arriving, 504 once it was complete.
      stream.sendLocalReply(
        stream.requestComplete ? 504 : 408,
        'stream timeout',
        'SI',
        'stream_idle_timeout',
      );
    } else if (kind === 'request') {
      if (stream.requestComplete) return;
      stats.downstream_rq_timeout.inc();
      stream.sendLocalReply(408, 'request timeout', undefined, 'request_overall_timeout');
    } else {
      stats.downstream_rq_max_duration_reached.inc();
      stream.sendLocalReply(
        stream.requestComplete ? 504 : 408,
        'downstream duration timeout',
        'DT',
        'max_duration_timeout',
      );
    }
  }

  private clearStreamTimers(): void {
    for (const timer of this.streamTimers) clearTimeout(timer);
    this.streamTimers = [];
    this.clearTimer(this.durationTimer);
    this.durationTimer = undefined;
  }

  private clearTimer(timer: NodeJS.Timeout | undefined): void {
    if (timer) clearTimeout(timer);
  }

  private clearAllTimers(): void {
    this.clearStreamTimers();
    this.clearTimer(this.idleTimer);
    this.clearTimer(this.streamIdleTimer);
    this.clearTimer(this.headersTimer);
    this.idleTimer = this.streamIdleTimer = this.headersTimer = undefined;
  }
}
