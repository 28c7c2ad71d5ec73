/**
 * The seam between xDS serving (this folder) and translation (src/translate): the server asks a
 * generator for the resources of one type for one connected proxy, encodes them and sends them.
 *
 * Contract:
 * - `generate` is synchronous and pure with respect to the server: it reads the current
 *   snapshot and returns the Envoy messages in proto3 JSON (see `XdsResource`). Return the same
 *   resource objects across proxies when their content is the same: the encoder caches by
 *   identity first (then by content), so sharing makes a 1,000-proxy push cost one encoding.
 *   Never mutate a resource object after returning it: build a new one for new content.
 * - Return every resource of the type the proxy should have. The server filters RDS/EDS (and
 *   any non-wildcard type) to the names the proxy subscribed to; `watched` is only a hint that
 *   lets a generator skip work.
 * - For a non-full push (`request.full === false`) only EDS is asked for, and the generator may
 *   return only the ClusterLoadAssignments affected by `request.edsUpdates` (absence is not
 *   removal for EDS). Return `'unchanged'` when nothing of this type changed for this proxy
 *   (Istio's "no push needed"): the server then sends nothing for the type. A full push whose
 *   `configsUpdated` names only kinds a type cannot depend on is such a case.
 * - The `ConnectedProxy` object is stable for the life of its stream, so a generator may cache
 *   derived state (Istio's `Proxy`, SidecarScope) in a `WeakMap` keyed by it.
 * - A generator that throws is a bug: the server logs it, counts it in
 *   `pilot_total_xds_internal_errors` and sends nothing for that type; the stream stays up.
 */
import type { XdsResource } from '../xds/resource-encoding.js';
import type { PushRequest } from './push-request.js';

export type { XdsResource } from '../xds/resource-encoding.js';

export interface XdsGenerator {
  /** The type URLs this generator answers; requests for any other type are logged and ignored. */
  readonly typeUrls: readonly string[];
  /**
   * Called once per debounced push before any proxy is pushed (Istio recomputes its
   * PushContext here on full pushes). `generate` is also called without it, whenever a proxy
   * connects or subscribes to new names, so it must always answer from the current snapshot.
   */
  prepare?(request: PushRequest): void;
  generate(
    proxy: ConnectedProxy,
    typeUrl: string,
    request: PushRequest,
    watched: WatchedNames,
  ): readonly XdsResource[] | 'unchanged';
}

/** What a proxy subscribes to for one type: everything (wildcard) and/or these names. */
export interface WatchedNames {
  readonly wildcard: boolean;
  readonly names: ReadonlySet<string>;
}

/** The node a proxy announced on the first request of its stream (envoy.config.core.v3.Node). */
export interface ProxyNode {
  /** e.g. Istio's `sidecar~10.1.2.3~reviews-v1-7d8f.default~default.svc.cluster.local`. */
  readonly id: string;
  readonly cluster: string;
  /** `Node.metadata` (a protobuf Struct) as plain JSON: Istio's `NAMESPACE`, `LABELS`, `ISTIO_VERSION`, ... */
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly locality: { readonly region: string; readonly zone: string; readonly subZone: string } | undefined;
  /** `envoy`, `grpc`, `skein`, ... */
  readonly userAgentName: string;
  /** `user_agent_version`, or `user_agent_build_version` as `major.minor.patch`. */
  readonly userAgentVersion: string;
  readonly clientFeatures: readonly string[];
}

export interface ConnectedProxy {
  /** Unique per stream: `${node.id}-${counter}` (Istio's connection ID). */
  readonly connectionId: string;
  readonly node: ProxyNode;
  /** The peer address of the gRPC stream. */
  readonly peer: string;
  /** State of the world (`StreamAggregatedResources`) or incremental (`DeltaAggregatedResources`). */
  readonly protocol: 'sotw' | 'delta';
  readonly connectedAt: Date;
}
