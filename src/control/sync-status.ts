/**
 * The per-proxy sync status istiod serves at `/debug/syncz` and `istioctl proxy-status`
 * prints: for each xDS type, the nonce and version sent and ACKed, and whether the proxy is
 * SYNCED, STALE, NACKED (with its error) or NOT SENT. The `*_sent`/`*_acked` fields keep the
 * names of Istio's `SyncStatus`; `types` adds versions and errors per type.
 */
import { metricTypeOf } from '../xds/type-rules.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from '../xds/type-urls.js';
import type { XdsConnection } from './connection.js';
import type { SyncState } from './watched-type.js';

export interface TypeSyncStatus {
  readonly type_url: string;
  readonly status: SyncState;
  readonly version_sent?: string;
  readonly nonce_sent?: string;
  readonly version_acked?: string;
  readonly nonce_acked?: string;
  /** The proxy's last NACK message (cleared by the next ACK). */
  readonly error?: string;
  readonly nacks: number;
  /** Resources the proxy holds of this type. */
  readonly resources: number;
  readonly last_sent?: string;
}

export interface ProxySyncStatus {
  /** Istio's proxy ID: `pod.namespace` from a `sidecar~IP~pod.namespace~domain` node id, else the node id. */
  readonly proxy: string;
  readonly node_id: string;
  readonly cluster_id: string;
  readonly connection_id: string;
  readonly proxy_version: string;
  readonly protocol: 'sotw' | 'delta';
  readonly connected_at: string;
  readonly cluster_sent: string;
  readonly cluster_acked: string;
  readonly listener_sent: string;
  readonly listener_acked: string;
  readonly route_sent: string;
  readonly route_acked: string;
  readonly endpoint_sent: string;
  readonly endpoint_acked: string;
  /** Keyed by Istio's short type: cds, eds, lds, rds, sds, or the type URL. */
  readonly types: Readonly<Record<string, TypeSyncStatus>>;
}

/** `sidecar~10.1.2.3~reviews-v1-abc.default~default.svc.cluster.local` → `reviews-v1-abc.default`. */
export function istioProxyId(nodeId: string): string {
  const parts = nodeId.split('~');
  return parts.length === 4 && parts[2] ? parts[2] : nodeId;
}

export function syncStatusOf(connection: XdsConnection): ProxySyncStatus | undefined {
  const proxy = connection.proxy;
  if (!proxy) return undefined;
  const types: Record<string, TypeSyncStatus> = {};
  for (const watched of connection.watched.values()) {
    types[metricTypeOf(watched.typeUrl)] = {
      type_url: watched.typeUrl,
      status: watched.state,
      ...(watched.versionSent !== undefined ? { version_sent: watched.versionSent } : {}),
      ...(watched.nonceSent !== undefined ? { nonce_sent: watched.nonceSent } : {}),
      ...(watched.versionAcked !== undefined ? { version_acked: watched.versionAcked } : {}),
      ...(watched.nonceAcked !== undefined ? { nonce_acked: watched.nonceAcked } : {}),
      ...(watched.lastError !== undefined ? { error: watched.lastError } : {}),
      nacks: watched.nacks,
      resources: watched.held.size,
      ...(watched.sentAt ? { last_sent: watched.sentAt.toISOString() } : {}),
    };
  }
  const nonces = (typeUrl: string) => {
    const watched = connection.watched.get(typeUrl);
    return [watched?.nonceSent ?? '', watched?.nonceAcked ?? ''] as const;
  };
  const [clusterSent, clusterAcked] = nonces(CLUSTER_TYPE_URL);
  const [listenerSent, listenerAcked] = nonces(LISTENER_TYPE_URL);
  const [routeSent, routeAcked] = nonces(ROUTE_TYPE_URL);
  const [endpointSent, endpointAcked] = nonces(ENDPOINT_TYPE_URL);
  const version = proxy.node.metadata['ISTIO_VERSION'];
  return {
    proxy: istioProxyId(proxy.node.id),
    node_id: proxy.node.id,
    cluster_id: proxy.node.cluster,
    connection_id: proxy.connectionId,
    proxy_version: typeof version === 'string' ? version : proxy.node.userAgentVersion,
    protocol: proxy.protocol,
    connected_at: proxy.connectedAt.toISOString(),
    cluster_sent: clusterSent,
    cluster_acked: clusterAcked,
    listener_sent: listenerSent,
    listener_acked: listenerAcked,
    route_sent: routeSent,
    route_acked: routeAcked,
    endpoint_sent: endpointSent,
    endpoint_acked: endpointAcked,
    types,
  };
}
