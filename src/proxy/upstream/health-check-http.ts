/**
 * The HTTP/1.1 health check (Envoy's HttpHealthCheckerImpl): `<method> <path>` with
 * `host: <host or cluster name>`, `user-agent: Envoy/HC` and request_headers_to_add/remove, on a
 * connection kept between checks unless reuse_connection is false or the upstream closes it.
 *
 * Result of a complete response, in Envoy's order: a body missing a `receive` block fails; a
 * status outside expected_statuses fails at once, or counts toward unhealthy_threshold if it
 * is in retriable_statuses; with service_name_matcher, `x-envoy-upstream-healthchecked-cluster`
 * must match (counted in verify_cluster); `x-envoy-degraded` passes as degraded. A reset or a
 * misframed response is a network failure.
 */
import type net from 'node:net';
import { type ResponseHead, ResponseParser, type ResponseParserHandler } from '../http1/response-parser.js';
import type { HeaderFormatContext } from '../router/types.js';
import { type HttpCheckSettings, payloadMatches, type StatusRanges } from './health-check-config.js';
import type { HealthCheckerDeps, Probe, ProbeCallbacks } from './health-checker.js';
import { hostKey } from './host.js';

type Result = 'SUCCEEDED' | 'DEGRADED' | 'FAILED' | 'RETRIABLE';

function inRanges(status: number, ranges: StatusRanges): boolean {
  return ranges.some(([start, end]) => status >= start && status < end);
}

function header(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}

export class HttpProbe implements Probe, ResponseParserHandler {
  private readonly settings: HttpCheckSettings;
  private readonly reuseSetting: boolean;
  private readonly callbacks: ProbeCallbacks;
  private readonly deps: HealthCheckerDeps;
  private socket: net.Socket | undefined;
  private parser: ResponseParser | undefined;
  private head: ResponseHead | undefined;
  private body: Buffer[] = [];
  private bodyLength = 0;
  private inFlight = false;
  private reuseConnection: boolean;

  constructor(settings: HttpCheckSettings, reuseConnection: boolean, callbacks: ProbeCallbacks, deps: HealthCheckerDeps) {
    this.settings = settings;
    this.reuseSetting = reuseConnection;
    this.reuseConnection = reuseConnection;
    this.callbacks = callbacks;
    this.deps = deps;
  }

  onInterval(): void {
    if (!this.socket && !this.open()) return;
    this.inFlight = true;
    this.head = undefined;
    this.body = [];
    this.bodyLength = 0;
    this.parser = new ResponseParser(this, { method: this.settings.method, upgrade: undefined });
    this.socket!.write(this.request(), 'latin1');
    if (this.settings.send) this.socket!.write(this.settings.send);
  }

  onTimeout(): void {
    this.inFlight = false;
    this.close();
  }

  destroy(): void {
    this.inFlight = false;
    this.close();
  }

  // --- ResponseParserHandler --------------------------------------------------------
  onInformational(): void {}

  onHead(head: ResponseHead): void {
    this.head = head;
  }

  onBody(chunk: Buffer): void {
    if (this.settings.receive.length === 0) return;
    const limit = this.settings.responseBufferSize;
    const room = limit === 0 ? chunk.length : Math.max(0, limit - this.bodyLength);
    if (room === 0) return;
    const kept = chunk.subarray(0, room);
    // Copy: the parser's chunks are only valid until its input buffer is reused.
    this.body.push(Buffer.from(kept));
    this.bodyLength += kept.length;
  }

  onMessageComplete(): void {}

  // ----------------------------------------------------------------------------------
  private open(): boolean {
    const { host } = this.callbacks;
    let socket: net.Socket;
    try {
      socket = this.deps.connect({ host: host.address, port: host.port });
    } catch {
      queueMicrotask(() => this.callbacks.failure('NETWORK'));
      return false;
    }
    this.socket = socket;
    this.reuseConnection = this.reuseSetting;
    socket.setNoDelay(true);
    socket.on('error', () => {}); // 'close' follows
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.once('close', () => this.onClose(socket));
    return true;
  }

  private request(): string {
    const s = this.settings;
    const { host } = this.callbacks;
    const headers = ['user-agent', 'Envoy/HC'];
    if (s.headers) {
      // Envoy formats against a stream info whose connection is loopback and whose upstream is the host.
      const context: HeaderFormatContext = {
        downstreamRemoteAddress: '127.0.0.1:0',
        downstreamLocalAddress: '127.0.0.1:0',
        upstreamHost: hostKey(host.address, host.port),
        protocol: 'HTTP/1.1',
        requestHeaders: headers,
      };
      s.headers.apply(headers, { context, requestHeaders: headers });
    }
    let out = `${s.method} ${s.path} HTTP/1.1\r\nhost: ${s.host || this.deps.clusterName}\r\n`;
    for (let i = 0; i < headers.length; i += 2) out += `${headers[i]!}: ${headers[i + 1]!}\r\n`;
    if (s.send) out += `content-length: ${s.send.length}\r\n`;
    return `${out}\r\n`;
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    const parser = this.parser;
    if (socket !== this.socket || !this.inFlight || !parser) return;
    parser.execute(chunk);
    if (parser.error) this.onReset();
    else if (parser.complete) this.onResponseComplete();
  }

  private onClose(socket: net.Socket): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    if (!this.inFlight) return;
    // A close-delimited body ends here; anything else cut short is a reset.
    this.parser?.finish();
    if (this.parser?.complete) this.onResponseComplete();
    else this.onReset();
  }

  private onReset(): void {
    this.inFlight = false;
    this.close();
    this.callbacks.failure('NETWORK');
  }

  private onResponseComplete(): void {
    this.inFlight = false;
    const result = this.result();
    const keep = this.reuseConnection && (this.parser?.canReuseConnection ?? false);
    if (!keep) this.close();
    switch (result) {
      case 'SUCCEEDED':
        this.callbacks.success(false);
        break;
      case 'DEGRADED':
        this.callbacks.success(true);
        break;
      case 'FAILED':
        this.callbacks.failure('ACTIVE', false);
        break;
      case 'RETRIABLE':
        this.callbacks.failure('ACTIVE', true);
        break;
    }
  }

  private result(): Result {
    const s = this.settings;
    const head = this.head!;
    if (s.receive.length > 0 && !payloadMatches(s.receive, Buffer.concat(this.body))) return 'FAILED';
    if (!inRanges(head.status, s.expectedStatuses))
      return inRanges(head.status, s.retriableStatuses) ? 'RETRIABLE' : 'FAILED';
    const degraded = header(head.headers, 'x-envoy-degraded') !== undefined;
    if (s.serviceNameMatcher) {
      this.deps.stats.verify_cluster.inc();
      const cluster = header(head.headers, 'x-envoy-upstream-healthchecked-cluster') ?? '';
      if (!s.serviceNameMatcher(cluster)) return 'FAILED';
    }
    return degraded ? 'DEGRADED' : 'SUCCEEDED';
  }

  private close(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    socket.destroy();
  }
}
