/**
 * One simulated Envoy's xDS subscription logic, without any I/O: responses in, requests out.
 *
 * It follows Envoy's initialization order (arch_overview/operations/init): CDS first (wildcard);
 * the EDS clusters it receives are subscribed by name (`eds_cluster_config.service_name`, else
 * the cluster name); once the first EDS response has arrived (cluster manager initialized), LDS
 * (wildcard); then RDS for every `rds.route_config_name` its listeners' HTTP connection
 * managers name. Every response is ACKed at once and applied as Envoy would see it: SotW
 * CDS/LDS responses are complete sets, delta ones add, replace and remove
 * (xds_protocol#incremental-xds). When a CDS or LDS update changes the EDS or RDS names, the
 * new interest is sent after the ACK (Envoy pauses EDS/RDS during the update, then resumes).
 * Requests carry the node only on the first message of the stream, as Istio configures Envoy
 * (`set_node_on_first_message_only`).
 */
import type { Cluster__Output } from '../src/xds/generated/envoy/config/cluster/v3/Cluster.js';
import type { Listener__Output } from '../src/xds/generated/envoy/config/listener/v3/Listener.js';
import type { HttpConnectionManager__Output } from '../src/xds/generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';
import { decodeMessage, lookupMessage, unpackAny } from '../src/xds/protos.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from '../src/xds/type-urls.js';
import protobuf from 'protobufjs';

export const HCM_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** `google.protobuf.Any` as protobufjs decodes it (no conversion). */
export interface RawAny {
  readonly type_url: string;
  readonly value: Uint8Array;
}

/** A DiscoveryResponse or DeltaDiscoveryResponse, decoded without conversion (resources stay bytes). */
export interface RawResponse {
  readonly type_url: string;
  readonly nonce: string;
  /** SotW. */
  readonly version_info?: string;
  /** SotW: `Any`s; delta: `Resource`s (name + Any). */
  readonly resources: readonly (RawAny | { readonly name: string; readonly resource?: RawAny | null })[];
  /** Delta. */
  readonly removed_resources?: readonly string[];
}

/** The `name` field (number 1) of a Cluster, Listener or RouteConfiguration, read without decoding the rest. */
export function nameField(bytes: Uint8Array): string {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) return reader.string();
    reader.skipType(tag & 7);
  }
  return '';
}

/**
 * What Envoy derives from a Cluster or Listener, cached by name and exact bytes: a resource
 * received again unchanged (by this or another simulated proxy) is compared, not decoded —
 * Envoy likewise skips unchanged resources by their hash.
 */
export class ResourceDigests {
  private readonly clusters = new Map<string, { bytes: Buffer; edsName: string | undefined }>();
  private readonly listeners = new Map<string, { bytes: Buffer; routes: readonly string[] }>();
  /** Resources actually decoded (cache misses). */
  decoded = 0;

  /** The EDS name a cluster subscribes to, or undefined for non-EDS clusters. */
  edsName(name: string, bytes: Uint8Array): string | undefined {
    const cached = this.clusters.get(name);
    if (cached && cached.bytes.equals(bytes)) return cached.edsName;
    this.decoded++;
    const cluster = decodeMessage<Cluster__Output>(lookupMessage(CLUSTER_TYPE_URL)!, bytes);
    const eds = cluster.cluster_discovery_type === 'type' && cluster.type === 'EDS';
    const edsName = eds ? cluster.eds_cluster_config?.service_name || cluster.name : undefined;
    this.clusters.set(name, { bytes: Buffer.from(bytes), edsName });
    return edsName;
  }

  /** Route configuration names a listener's HTTP connection managers fetch over RDS. */
  routeNames(name: string, bytes: Uint8Array): readonly string[] {
    const cached = this.listeners.get(name);
    if (cached && cached.bytes.equals(bytes)) return cached.routes;
    this.decoded++;
    const listener = decodeMessage<Listener__Output>(lookupMessage(LISTENER_TYPE_URL)!, bytes);
    const routes = new Set<string>();
    const chains = [...listener.filter_chains, ...(listener.default_filter_chain ? [listener.default_filter_chain] : [])];
    for (const chain of chains) {
      for (const filter of chain.filters) {
        const any = filter.typed_config;
        if (filter.config_type !== 'typed_config' || !any || any.type_url !== HCM_TYPE_URL) continue;
        const hcm = unpackAny<HttpConnectionManager__Output>(any);
        if (hcm.ok && hcm.value.route_specifier === 'rds' && hcm.value.rds) routes.add(hcm.value.rds.route_config_name);
      }
    }
    const list = [...routes].sort();
    this.listeners.set(name, { bytes: Buffer.from(bytes), routes: list });
    return list;
  }
}

export interface SimNode {
  readonly id: string;
  readonly cluster: string;
  /** google.protobuf.Struct in protobufjs input form. */
  readonly metadata: object;
  readonly user_agent_name: string;
}

interface TypeState {
  versionInfo: string;
  nonce: string;
  /** EDS/RDS names subscribed (sorted). */
  names: readonly string[];
  /** Delta CDS/LDS: what each held resource contributes (EDS name or route names). */
  readonly held: Map<string, readonly string[]>;
  received: boolean;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** Names added to and removed from a sorted subscription. */
export function nameDiff(before: readonly string[], after: readonly string[]): { subscribe: string[]; unsubscribe: string[] } {
  const old = new Set(before);
  const now = new Set(after);
  return { subscribe: after.filter((n) => !old.has(n)), unsubscribe: before.filter((n) => !now.has(n)) };
}

export class SimEnvoy {
  constructor(protocol: 'sotw' | 'delta', node: SimNode, digests: ResourceDigests) {
    this.protocol = protocol;
    this.node = node;
    this.digests = digests;
  }

  readonly protocol: 'sotw' | 'delta';
  private readonly node: SimNode;
  private readonly digests: ResourceDigests;
  private readonly states = new Map<string, TypeState>();
  private nodeSent = false;
  /** True once CDS, EDS, LDS and RDS have each been received and ACKed (or were not needed). */
  synced = false;

  /** The first request of the stream: CDS, wildcard. */
  start(): object[] {
    return [this.subscribe(CLUSTER_TYPE_URL, [])];
  }

  onResponse(response: RawResponse): object[] {
    const state = this.state(response.type_url);
    const first = !state.received;
    state.received = true;
    state.nonce = response.nonce;
    if (response.version_info !== undefined) state.versionInfo = response.version_info;
    const out: object[] = [this.ack(response.type_url, state)];
    switch (response.type_url) {
      case CLUSTER_TYPE_URL: {
        const edsNames = this.contributions(state, response, (name, bytes) => {
          const eds = this.digests.edsName(name, bytes);
          return eds === undefined ? [] : [eds];
        });
        out.push(...this.interest(ENDPOINT_TYPE_URL, edsNames));
        // No EDS cluster: the cluster manager is initialized without waiting for EDS.
        if (first && edsNames.length === 0) out.push(this.subscribe(LISTENER_TYPE_URL, []));
        break;
      }
      case ENDPOINT_TYPE_URL:
        if (first) out.push(this.subscribe(LISTENER_TYPE_URL, []));
        break;
      case LISTENER_TYPE_URL: {
        const routeNames = this.contributions(state, response, (name, bytes) => this.digests.routeNames(name, bytes));
        out.push(...this.interest(ROUTE_TYPE_URL, routeNames));
        if (first && routeNames.length === 0) this.synced = true;
        break;
      }
      case ROUTE_TYPE_URL:
        this.synced = true;
        break;
    }
    return out;
  }

  private state(typeUrl: string): TypeState {
    let state = this.states.get(typeUrl);
    if (!state) {
      state = { versionInfo: '', nonce: '', names: [], held: new Map(), received: false };
      this.states.set(typeUrl, state);
    }
    return state;
  }

  /** Union of what every held CDS/LDS resource contributes, after applying this response. */
  private contributions(
    state: TypeState,
    response: RawResponse,
    derive: (name: string, bytes: Uint8Array) => readonly string[],
  ): string[] {
    if (this.protocol === 'sotw') state.held.clear();
    for (const item of response.resources) {
      if ('type_url' in item) {
        const name = nameField(item.value);
        state.held.set(name, derive(name, item.value));
      } else if (item.resource) {
        state.held.set(item.name, derive(item.name, item.resource.value));
      }
    }
    for (const name of response.removed_resources ?? []) state.held.delete(name);
    const union = new Set<string>();
    for (const names of state.held.values()) for (const n of names) union.add(n);
    return [...union].sort();
  }

  /** A subscription change for EDS or RDS, if the names changed. */
  private interest(typeUrl: string, names: readonly string[]): object[] {
    const state = this.state(typeUrl);
    if (sameNames(state.names, names)) return [];
    const before = state.names;
    state.names = names;
    if (this.protocol === 'delta') {
      const { subscribe, unsubscribe } = nameDiff(before, names);
      return [this.withNode({ type_url: typeUrl, resource_names_subscribe: subscribe, resource_names_unsubscribe: unsubscribe })];
    }
    return [this.withNode({ type_url: typeUrl, resource_names: names, version_info: state.versionInfo, response_nonce: state.nonce })];
  }

  private subscribe(typeUrl: string, names: readonly string[]): object {
    const state = this.state(typeUrl);
    state.names = names;
    return this.protocol === 'delta'
      ? this.withNode({ type_url: typeUrl, resource_names_subscribe: names })
      : this.withNode({ type_url: typeUrl, resource_names: names });
  }

  private ack(typeUrl: string, state: TypeState): object {
    return this.protocol === 'delta'
      ? { type_url: typeUrl, response_nonce: state.nonce }
      : { type_url: typeUrl, resource_names: state.names, version_info: state.versionInfo, response_nonce: state.nonce };
  }

  private withNode(request: object): object {
    if (this.nodeSent) return request;
    this.nodeSent = true;
    return { ...request, node: this.node };
  }
}
