/**
 * A hand-written ADS client for tests: the real `AggregatedDiscoveryService` from Envoy's
 * `ads.proto` (shipped in @grpc/grpc-js-xds/deps), loaded with @grpc/proto-loader and driven
 * with @grpc/grpc-js, independent of the server's own protobuf code. It records every response
 * and lets a test ACK, NACK and re-subscribe by hand.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const includeDirs = [
  path.join(deps, 'envoy-api'),
  path.join(deps, 'xds'),
  path.join(deps, 'googleapis'),
  path.join(deps, 'protoc-gen-validate'),
];

const LOADER_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true, includeDirs };

type AdsClientConstructor = new (target: string, credentials: grpc.ChannelCredentials) => grpc.Client & {
  StreamAggregatedResources(): grpc.ClientDuplexStream<object, SotwResponse>;
  DeltaAggregatedResources(): grpc.ClientDuplexStream<object, DeltaResponse>;
};

let adsConstructor: AdsClientConstructor | undefined;
function AdsClient(): AdsClientConstructor {
  if (adsConstructor) return adsConstructor;
  const definition = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    envoy: { service: { discovery: { v3: { AggregatedDiscoveryService: AdsClientConstructor } } } };
  };
  adsConstructor = loaded.envoy.service.discovery.v3.AggregatedDiscoveryService;
  return adsConstructor;
}

/** Decodes packed resources with a protobufjs root of its own (not the server's). */
let resourceRoot: protobuf.Root | undefined;
export function decodeAny(any: { type_url: string; value: Buffer }): Record<string, unknown> {
  if (!resourceRoot) {
    resourceRoot = new protobuf.Root();
    resourceRoot.resolvePath = (_origin, target) => {
      if (path.isAbsolute(target)) return target;
      for (const dir of includeDirs) {
        const candidate = path.join(dir, target);
        if (existsSync(candidate)) return candidate;
      }
      return target;
    };
    resourceRoot.loadSync(
      [
        'envoy/config/listener/v3/listener.proto',
        'envoy/config/route/v3/route.proto',
        'envoy/config/cluster/v3/cluster.proto',
        'envoy/config/endpoint/v3/endpoint.proto',
        'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
      ],
      { keepCase: true },
    );
  }
  const type = resourceRoot.lookupType(any.type_url.slice(any.type_url.lastIndexOf('/') + 1));
  return type.toObject(type.decode(any.value), { longs: Number, enums: String }) as Record<string, unknown>;
}

export interface SotwResponse {
  version_info: string;
  resources: { type_url: string; value: Buffer }[];
  type_url: string;
  nonce: string;
}

export interface DeltaResponse {
  system_version_info: string;
  resources: { name: string; version: string; resource: { type_url: string; value: Buffer } | null }[];
  type_url: string;
  removed_resources: string[];
  nonce: string;
}

export function nodeOf(id: string): object {
  return {
    id,
    cluster: 'reviews.default',
    // protobufjs's bundled struct.proto names Value's members in lowerCamel.
    metadata: { fields: { ISTIO_VERSION: { stringValue: '1.24.0' }, NAMESPACE: { stringValue: 'default' } } },
    user_agent_name: 'envoy',
    user_agent_version: '1.32.0',
  };
}

/** Responses in arrival order, awaited one at a time. */
class ResponseQueue<T extends { type_url: string }> {
  private readonly items: T[] = [];
  private readonly waiters: { typeUrl?: string; resolve: (t: T) => void }[] = [];
  readonly all: T[] = [];
  error: grpc.ServiceError | undefined;
  ended = false;
  private readonly endWaiters: (() => void)[] = [];

  push(item: T): void {
    this.all.push(item);
    const index = this.waiters.findIndex((w) => w.typeUrl === undefined || w.typeUrl === item.type_url);
    if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(item);
    else this.items.push(item);
  }

  end(error?: grpc.ServiceError): void {
    this.error ??= error;
    this.ended = true;
    for (const w of this.endWaiters.splice(0)) w();
  }

  next(typeUrl: string | undefined, timeoutMs: number): Promise<T> {
    const index = this.items.findIndex((i) => typeUrl === undefined || i.type_url === typeUrl);
    if (index >= 0) return Promise.resolve(this.items.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (t: T) => {
          clearTimeout(timer);
          resolve(t);
        },
        ...(typeUrl !== undefined ? { typeUrl } : {}),
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no ${typeUrl ?? 'response'} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Resolves when nothing (of this type) arrived in `ms`; rejects with what did. */
  async none(ms: number, typeUrl?: string): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    const unexpected = this.items.filter((i) => typeUrl === undefined || i.type_url === typeUrl);
    if (unexpected.length > 0) throw new Error(`unexpected responses: ${unexpected.map((u) => u.type_url).join(', ')}`);
  }

  closed(timeoutMs: number): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('stream did not close')), timeoutMs);
      this.endWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

abstract class BaseClient<Res extends { type_url: string }> {
  protected constructor(port: number) {
    this.client = new (AdsClient())(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }

  protected readonly client: InstanceType<AdsClientConstructor>;
  readonly responses = new ResponseQueue<Res>();
  protected call!: grpc.ClientDuplexStream<object, Res>;

  protected attach(call: grpc.ClientDuplexStream<object, Res>): void {
    this.call = call;
    call.on('data', (response: Res) => this.responses.push(response));
    call.on('error', (err: grpc.ServiceError) => this.responses.end(err));
    call.on('end', () => this.responses.end());
  }

  next(typeUrl?: string, timeoutMs = 3000): Promise<Res> {
    return this.responses.next(typeUrl, timeoutMs);
  }

  none(ms = 250, typeUrl?: string): Promise<void> {
    return this.responses.none(ms, typeUrl);
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

export class SotwClient extends BaseClient<SotwResponse> {
  constructor(port: number, nodeId: string) {
    super(port);
    this.nodeId = nodeId;
    this.attach(this.client.StreamAggregatedResources());
  }

  private readonly nodeId: string;
  private sentNode = false;
  private readonly names = new Map<string, string[]>();

  /** From now on ACKs every response with the names last requested for its type, as Envoy does. */
  autoAck(): void {
    this.call.on('data', (response: SotwResponse) => this.ack(response, this.names.get(response.type_url) ?? []));
  }

  send(request: {
    type_url: string;
    resource_names?: string[];
    version_info?: string;
    response_nonce?: string;
    error_detail?: { code: number; message: string };
  }): void {
    const node = this.sentNode ? {} : { node: nodeOf(this.nodeId) };
    this.sentNode = true;
    this.names.set(request.type_url, request.resource_names ?? []);
    this.call.write({ ...node, ...request });
  }

  /** ACKs a response (same names unless given). */
  ack(response: SotwResponse, resourceNames: string[] = []): void {
    this.send({
      type_url: response.type_url,
      version_info: response.version_info,
      response_nonce: response.nonce,
      resource_names: resourceNames,
    });
  }

  nack(response: SotwResponse, previousVersion: string, message: string, resourceNames: string[] = []): void {
    this.send({
      type_url: response.type_url,
      version_info: previousVersion,
      response_nonce: response.nonce,
      resource_names: resourceNames,
      error_detail: { code: grpc.status.INVALID_ARGUMENT, message },
    });
  }
}

export class DeltaClient extends BaseClient<DeltaResponse> {
  constructor(port: number, nodeId: string) {
    super(port);
    this.nodeId = nodeId;
    this.attach(this.client.DeltaAggregatedResources());
  }

  private readonly nodeId: string;
  private sentNode = false;

  send(request: {
    type_url: string;
    resource_names_subscribe?: string[];
    resource_names_unsubscribe?: string[];
    initial_resource_versions?: Record<string, string>;
    response_nonce?: string;
    error_detail?: { code: number; message: string };
  }): void {
    const node = this.sentNode ? {} : { node: nodeOf(this.nodeId) };
    this.sentNode = true;
    this.call.write({ ...node, ...request });
  }

  /** From now on ACKs every response. */
  autoAck(): void {
    this.call.on('data', (response: DeltaResponse) => this.ack(response));
  }

  ack(response: DeltaResponse): void {
    this.send({ type_url: response.type_url, response_nonce: response.nonce });
  }
}

/** Resource names in a SotW response, decoded from the packed resources. */
export function namesOf(response: SotwResponse): string[] {
  return response.resources.map((r) => {
    const decoded = decodeAny(r);
    return String(decoded['name'] ?? decoded['cluster_name']);
  });
}
