/**
 * The L3/L4 health check (Envoy's TcpHealthCheckerImpl): with no `receive` blocks a completed
 * connect passes and the connection is closed; otherwise `send` is written each interval and the
 * check passes once the bytes read so far contain every `receive` block in order. An unexpected
 * close of the check connection, even between checks, is a network failure.
 */
import type net from 'node:net';
import type { ConnectFn } from './conn-pool.js';
import { payloadMatches, type TcpCheckSettings } from './health-check-config.js';
import type { Probe, ProbeCallbacks } from './health-checker.js';

export class TcpProbe implements Probe {
  private readonly settings: TcpCheckSettings;
  private readonly reuseConnection: boolean;
  private readonly callbacks: ProbeCallbacks;
  private readonly connect: ConnectFn;
  private socket: net.Socket | undefined;
  private received = Buffer.alloc(0);
  private expectClose = false;

  constructor(settings: TcpCheckSettings, reuseConnection: boolean, callbacks: ProbeCallbacks, connect: ConnectFn) {
    this.settings = settings;
    this.reuseConnection = reuseConnection;
    this.callbacks = callbacks;
    this.connect = connect;
  }

  onInterval(): void {
    if (!this.socket) this.open();
    if (this.settings.send) this.socket?.write(this.settings.send);
  }

  onTimeout(): void {
    this.close();
  }

  destroy(): void {
    this.close();
  }

  private open(): void {
    const { host } = this.callbacks;
    let socket: net.Socket;
    try {
      socket = this.connect({ host: host.address, port: host.port });
    } catch {
      queueMicrotask(() => this.callbacks.failure('NETWORK'));
      return;
    }
    this.socket = socket;
    this.expectClose = false;
    this.received = Buffer.alloc(0);
    socket.setNoDelay(true);
    socket.on('error', () => {}); // 'close' follows
    socket.once('connect', () => {
      if (socket !== this.socket || this.settings.receive.length > 0) return;
      // Connect-only: the connection succeeded, which is all we wanted to know.
      this.close();
      this.callbacks.success(false);
    });
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.once('close', () => {
      if (socket !== this.socket) return;
      this.socket = undefined;
      if (!this.expectClose) this.callbacks.failure('NETWORK');
    });
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    if (socket !== this.socket || this.settings.receive.length === 0) return;
    // Matching is fuzzy, so wrong data and not-enough-data look alike: keep reading.
    this.received = Buffer.concat([this.received, chunk]);
    if (!payloadMatches(this.settings.receive, this.received)) return;
    this.received = Buffer.alloc(0);
    this.callbacks.success(false);
    if (!this.reuseConnection) this.close();
  }

  private close(): void {
    const socket = this.socket;
    if (!socket) return;
    this.expectClose = true;
    this.socket = undefined;
    socket.destroy();
  }
}
