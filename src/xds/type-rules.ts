/**
 * Per-type rules of the xDS transport that both ends of an ADS stream share: push order,
 * wildcard subscriptions, which SotW responses are complete, and Istio's metric labels.
 * https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol
 */
import { TYPE_URL_PREFIX } from './protos.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from './type-urls.js';

export const SECRET_TYPE_URL = `${TYPE_URL_PREFIX}envoy.extensions.transport_sockets.tls.v3.Secret`;

/**
 * The order of a full push (Istio's `PushOrder`): CDS before EDS, LDS before RDS, so that a
 * proxy learns of a cluster before its endpoints and of a listener before its routes ("make
 * before break", xds_protocol#eventual-consistency-considerations). Other types follow.
 */
export const PUSH_ORDER: readonly string[] = [
  CLUSTER_TYPE_URL,
  ENDPOINT_TYPE_URL,
  LISTENER_TYPE_URL,
  ROUTE_TYPE_URL,
  SECRET_TYPE_URL,
];

/** Istio's metric label for a type (`GetMetricType`): cds, eds, lds, rds, sds; else the type URL. */
export function metricTypeOf(typeUrl: string): string {
  switch (typeUrl) {
    case CLUSTER_TYPE_URL:
      return 'cds';
    case ENDPOINT_TYPE_URL:
      return 'eds';
    case LISTENER_TYPE_URL:
      return 'lds';
    case ROUTE_TYPE_URL:
      return 'rds';
    case SECRET_TYPE_URL:
      return 'sds';
    default:
      return typeUrl;
  }
}

/**
 * Whether a type has "wildcard" subscriptions. By the xDS spec Listener and Cluster do, while
 * RouteConfiguration, ClusterLoadAssignment and Secret are always requested by name; like
 * Istio's `IsWildcardTypeURL`, any other type is treated as wildcard.
 */
export function isWildcardType(typeUrl: string): boolean {
  return typeUrl !== ROUTE_TYPE_URL && typeUrl !== ENDPOINT_TYPE_URL && typeUrl !== SECRET_TYPE_URL;
}

/**
 * In SotW, a Listener or Cluster response is the complete state of the world (a resource missing
 * from it is deleted); for other types a response may carry only some resources and absence
 * means nothing (xds_protocol#grouping-resources-into-responses, #deleting-resources).
 */
export function isCompleteInSotw(typeUrl: string): boolean {
  return typeUrl === LISTENER_TYPE_URL || typeUrl === CLUSTER_TYPE_URL;
}

/** The field that holds a resource's name (`cluster_name` for ClusterLoadAssignment). */
export function nameFieldOf(typeUrl: string): string {
  return typeUrl === ENDPOINT_TYPE_URL ? 'cluster_name' : 'name';
}
