/**
 * The ADS transport: one bidirectional `StreamAggregatedResources` call to the management
 * server, re-established with jittered exponential backoff whenever it fails or the server
 * closes it (Envoy's GrpcStream). Each attempt uses a fresh channel so that this backoff, not
 * the channel's own reconnect backoff, decides when the next connection is tried. A received
 * message resets the backoff; `control_plane.connected_state` is 1 while a stream is up.
 */
import type * as grpc from '@grpc/grpc-js';
import { createAdsClient } from '../../xds/ads-service.js';
import type { AggregatedDiscoveryServiceClient } from '../../xds/generated/envoy/service/discovery/v3/AggregatedDiscoveryService.js';
import type { DiscoveryRequest } from '../../xds/generated/envoy/service/discovery/v3/DiscoveryRequest.js';
import type { DiscoveryResponse__Output } from '../../xds/generated/envoy/service/discovery/v3/DiscoveryResponse.js';
import type { Gauge } from '../stats/stats.js';
import { JitteredExponentialBackoff } from './backoff.js';

export interface AdsStreamCallbacks {
  /** A new stream is open: (re)send every subscription. */
  onStreamEstablished(): void;
  onResponse(response: DiscoveryResponse__Output): void;
  /** The stream failed or was closed by the server; a retry is already scheduled. */
  onStreamFailed(code: number, details: string): void;
}

export interface AdsStreamOptions {
  /** gRPC target, e.g. `127.0.0.1:15010` or `dns:istiod.istio-system.svc:15012`. */
  readonly target: string;
  readonly connectedState: Gauge;
  readonly backoff?: JitteredExponentialBackoff;
  readonly log: (message: string) => void;
}

type AdsCall = grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse__Output>;

export class AdsStream {
  private readonly options: AdsStreamOptions;
  private readonly callbacks: AdsStreamCallbacks;
  private readonly backoff: JitteredExponentialBackoff;
  private client: AggregatedDiscoveryServiceClient | undefined;
  private call: AdsCall | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: AdsStreamOptions, callbacks: AdsStreamCallbacks) {
    this.options = options;
    this.callbacks = callbacks;
    this.backoff = options.backoff ?? new JitteredExponentialBackoff();
  }

  get available(): boolean {
    return this.call !== undefined;
  }

  establish(): void {
    if (this.closed || this.call) return;
    this.client = createAdsClient(this.options.target);
    const call = this.client.StreamAggregatedResources();
    this.call = call;
    let failed = false;
    const fail = (code: number, details: string) => {
      if (failed) return;
      failed = true;
      if (this.call === call) this.call = undefined;
      this.options.connectedState.set(0);
      call.removeAllListeners('data');
      call.on('error', () => {}); // a late error on a dead call is not news
      call.cancel();
      this.client?.close();
      this.client = undefined;
      if (this.closed) return;
      this.scheduleRetry();
      this.callbacks.onStreamFailed(code, details);
    };
    call.on('data', (response: DiscoveryResponse__Output) => {
      if (failed) return;
      this.backoff.reset();
      this.options.connectedState.set(1);
      this.callbacks.onResponse(response);
    });
    // grpc-js reports every outcome (server close, failure, unreachable server) as 'status'.
    call.on('status', (status: grpc.StatusObject) => fail(status.code, status.details));
    call.on('error', () => {});
    this.options.connectedState.set(1);
    this.callbacks.onStreamEstablished();
  }

  send(request: DiscoveryRequest): void {
    this.call?.write(request);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const call = this.call;
    this.call = undefined;
    if (call) {
      call.removeAllListeners();
      call.on('error', () => {});
      call.cancel();
    }
    this.client?.close();
    this.client = undefined;
    this.options.connectedState.set(0);
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    const delay = this.backoff.nextBackoffMs();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.establish();
    }, delay);
  }
}
