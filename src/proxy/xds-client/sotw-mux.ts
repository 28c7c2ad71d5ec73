/**
 * State-of-the-world ADS multiplexing, as Envoy's GrpcMuxImpl does it: one request state per
 * type URL (resource names, last accepted version_info, last nonce), requests queued per type
 * and held while the type is paused, every response ACKed (version_info = the new version) or
 * NACKed (version_info = the last good one, error_detail = google.rpc.Status INTERNAL with the
 * errors), and on every new stream all subscriptions re-sent in subscription order with their
 * last accepted versions and no nonce. Responses are applied one at a time, in arrival order.
 *
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#ack-nack-and-resource-type-instance-version
 */
import type { Node } from '../../xds/generated/envoy/config/core/v3/Node.js';
import type { DiscoveryRequest } from '../../xds/generated/envoy/service/discovery/v3/DiscoveryRequest.js';
import type { DiscoveryResponse__Output } from '../../xds/generated/envoy/service/discovery/v3/DiscoveryResponse.js';
import type { Status } from '../../xds/generated/google/rpc/Status.js';
import { formatPath } from '../../xds/proto-json.js';
import { unpackAny } from '../../xds/protos.js';
import type { ConfigError } from '../config/config-error.js';
import type { AdsStream, AdsStreamCallbacks } from './ads-stream.js';
import type { SubscriptionStats } from './subscription-stats.js';

/** One resource of a response, decoded into its `__Output` type. */
export interface DecodedResource<T> {
  readonly name: string;
  readonly resource: T;
}

/** A config error tied to the resource it is in (paths are relative to that resource). */
export interface ResourceError extends ConfigError {
  readonly resourceName?: string;
}

export interface XdsWatch<T> {
  /** Resource names of interest; undefined subscribes to every resource (wildcard: LDS, CDS). */
  resourceNames(): readonly string[] | undefined;
  /** Validates every resource, then applies them all, or returns why none was applied (NACK). */
  onConfigUpdate(resources: readonly DecodedResource<T>[], versionInfo: string): Promise<ResourceError[]>;
  /** After a NACK, with the errors sent in error_detail (for config_dump's error_state). */
  onConfigRejected?(errors: readonly ResourceError[], versionInfo: string): void;
}

export interface TypeSubscription<T> {
  readonly typeUrl: string;
  /** Short type name used in error messages (`Listener`). */
  readonly kind: string;
  readonly nameOf: (resource: T) => string;
  readonly watch: XdsWatch<T>;
  readonly stats?: SubscriptionStats;
  /** After each response of this type, accepted or not. */
  readonly onHandled?: (accepted: boolean) => void;
}

interface TypeState {
  readonly sub: TypeSubscription<unknown>;
  versionInfo: string;
  nonce: string;
  errorDetail: Status | undefined;
  pauses: number;
  pending: boolean;
}

/** gRPC status code INTERNAL, which Envoy puts in every NACK's error_detail. */
const GRPC_INTERNAL = 13;
/** Envoy's Config::Utility::truncateGrpcStatusMessage limit. */
const MAX_ERROR_DETAIL_BYTES = 4096;

export interface SotwMuxOptions {
  readonly node: Node;
  /** ApiConfigSource.set_node_on_first_message_only (Istio sets it). */
  readonly setNodeOnFirstMessageOnly: boolean;
  readonly createStream: (callbacks: AdsStreamCallbacks) => AdsStream;
  readonly log: (message: string) => void;
}

export class SotwMux implements AdsStreamCallbacks {
  private readonly options: SotwMuxOptions;
  private readonly states = new Map<string, TypeState>();
  private readonly stream: AdsStream;
  private firstStreamRequest = true;
  /** Bumped on every new stream: a nonce only means something on the stream that carried it. */
  private streamGeneration = 0;
  private processing: Promise<void> = Promise.resolve();
  private started = false;

  constructor(options: SotwMuxOptions) {
    this.options = options;
    this.stream = options.createStream(this);
  }

  subscribe<T>(subscription: TypeSubscription<T>): void {
    if (this.states.has(subscription.typeUrl)) throw new Error(`already subscribed to ${subscription.typeUrl}`);
    this.states.set(subscription.typeUrl, {
      sub: subscription as TypeSubscription<unknown>,
      versionInfo: '',
      nonce: '',
      errorDetail: undefined,
      pauses: 0,
      pending: false,
    });
    subscription.stats?.update_attempt.inc();
    this.queueRequest(subscription.typeUrl);
  }

  /** The watch's resource names changed: send the new interest. */
  updateInterest(typeUrl: string): void {
    if (this.states.has(typeUrl)) this.queueRequest(typeUrl);
  }

  /** Holds requests of these types (ACKs included) until the returned function is called. */
  pause(...typeUrls: string[]): () => void {
    const states = typeUrls.map((url) => this.states.get(url)).filter((s) => s !== undefined);
    for (const state of states) state.pauses++;
    let resumed = false;
    return () => {
      if (resumed) return;
      resumed = true;
      for (const state of states) {
        state.pauses--;
        if (state.pauses === 0 && state.pending) {
          state.pending = false;
          this.queueRequest(state.sub.typeUrl);
        }
      }
    };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.stream.establish();
  }

  close(): void {
    this.stream.close();
  }

  /** The last accepted version_info of a type ('' before the first). */
  versionInfo(typeUrl: string): string {
    return this.states.get(typeUrl)?.versionInfo ?? '';
  }

  /** Resolves once every response received so far has been applied or rejected. */
  idle(): Promise<void> {
    return this.processing;
  }

  onStreamEstablished(): void {
    this.streamGeneration++;
    this.firstStreamRequest = true;
    for (const state of this.states.values()) state.nonce = '';
    for (const typeUrl of this.states.keys()) this.queueRequest(typeUrl);
  }

  onStreamFailed(code: number, details: string): void {
    this.options.log(`xds: ADS stream closed: ${code}, ${details}`);
    for (const state of this.states.values()) state.sub.stats?.connectionFailed();
  }

  onResponse(response: DiscoveryResponse__Output): void {
    const generation = this.streamGeneration;
    this.processing = this.processing
      .then(() => this.handleResponse(response, generation))
      .catch((err: unknown) => this.options.log(`xds: applying ${response.type_url} failed: ${String(err)}`));
  }

  private async handleResponse(response: DiscoveryResponse__Output, generation: number): Promise<void> {
    const state = this.states.get(response.type_url);
    if (!state) {
      // Envoy ignores types nobody subscribed to (a protocol violation by the server).
      this.options.log(`xds: ignoring a response for unsubscribed type ${response.type_url}`);
      return;
    }
    const { sub } = state;
    const resume = this.pause(sub.typeUrl);
    const started = performance.now();
    let errors: ResourceError[];
    try {
      const decoded = decodeResources(response, sub);
      errors = decoded.errors.length > 0 ? decoded.errors : await sub.watch.onConfigUpdate(decoded.resources, response.version_info);
    } catch (err) {
      errors = [{ path: [], message: `internal error applying the update: ${(err as Error).message}` }];
    }
    if (errors.length === 0) {
      state.versionInfo = response.version_info;
      state.errorDetail = undefined;
      sub.stats?.accepted(response.version_info, performance.now() - started);
    } else {
      const message = errors.map((e) => formatResourceError(sub.kind, e)).join('\n');
      state.errorDetail = { code: GRPC_INTERNAL, message: truncate(message), details: [] };
      sub.stats?.rejected();
      sub.watch.onConfigRejected?.(errors, response.version_info);
      this.options.log(`xds: rejected ${sub.kind} version ${response.version_info}: ${message}`);
    }
    sub.onHandled?.(errors.length === 0);
    if (generation === this.streamGeneration) {
      state.nonce = response.nonce;
      this.queueRequest(sub.typeUrl);
    }
    resume();
  }

  private queueRequest(typeUrl: string): void {
    const state = this.states.get(typeUrl);
    if (!state || !this.stream.available) return; // a new stream re-sends everything
    if (state.pauses > 0) {
      state.pending = true;
      return;
    }
    const names = state.sub.watch.resourceNames();
    const request: DiscoveryRequest = {
      version_info: state.versionInfo,
      resource_names: names ? [...names] : [],
      type_url: typeUrl,
      response_nonce: state.nonce,
    };
    if (state.errorDetail) request.error_detail = state.errorDetail;
    if (this.firstStreamRequest || !this.options.setNodeOnFirstMessageOnly) request.node = this.options.node;
    this.firstStreamRequest = false;
    // As Envoy: the error is reported once, in the NACK itself.
    state.errorDetail = undefined;
    this.stream.send(request);
  }
}

function decodeResources(
  response: DiscoveryResponse__Output,
  sub: TypeSubscription<unknown>,
): { resources: DecodedResource<unknown>[]; errors: ResourceError[] } {
  const resources: DecodedResource<unknown>[] = [];
  const errors: ResourceError[] = [];
  const seen = new Set<string>();
  response.resources.forEach((any, i) => {
    const path = ['resources', i];
    if (any.type_url !== sub.typeUrl) {
      errors.push({
        path,
        message: `${any.type_url} does not match the message-wide type URL ${sub.typeUrl}`,
      });
      return;
    }
    const unpacked = unpackAny<unknown>(any);
    if (!unpacked.ok) {
      errors.push({ path, message: unpacked.error });
      return;
    }
    const name = sub.nameOf(unpacked.value);
    if (seen.has(name)) {
      errors.push({ path, resourceName: name, message: `duplicate ${sub.kind} '${name}' in one response` });
      return;
    }
    seen.add(name);
    resources.push({ name, resource: unpacked.value });
  });
  return { resources, errors };
}

function formatResourceError(kind: string, error: ResourceError): string {
  const where = error.resourceName === undefined ? '' : `${kind} '${error.resourceName}': `;
  return error.path.length > 0 ? `${where}${formatPath(error.path)}: ${error.message}` : `${where}${error.message}`;
}

function truncate(message: string): string {
  if (Buffer.byteLength(message) <= MAX_ERROR_DETAIL_BYTES) return message;
  return `${Buffer.from(message).subarray(0, MAX_ERROR_DETAIL_BYTES).toString('utf8')}...(truncated)`;
}
