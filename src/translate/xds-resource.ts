/**
 * The output contract of translation: per xDS type URL, a list of named resources, each an
 * Envoy v3 message in proto3 JSON form with Envoy's snake_case field names (the shape of
 * Envoy's config_dump): durations as strings, Any as `{"@type": url, ...fields}`.
 */

export const LISTENER_TYPE_URL = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const ROUTE_TYPE_URL = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
export const CLUSTER_TYPE_URL = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const ENDPOINT_TYPE_URL = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';

export type XdsTypeUrl =
  | typeof LISTENER_TYPE_URL
  | typeof ROUTE_TYPE_URL
  | typeof CLUSTER_TYPE_URL
  | typeof ENDPOINT_TYPE_URL;

/** A JSON object (proto3 JSON of some Envoy message). */
export type Json = { [key: string]: unknown };

export interface XdsResource {
  readonly name: string;
  /** The message in proto3 JSON form, without an `@type` at the top level. */
  readonly resource: Json;
}

/** An `Any` in proto3 JSON form. */
export function typedConfig(typeName: string, body: Json = {}): Json {
  return { '@type': `type.googleapis.com/${typeName}`, ...body };
}

/** `{ "ads": {}, "initial_fetch_timeout": "0s", "resource_api_version": "V3" }`: Istio's ADS config source. */
export function adsConfigSource(): Json {
  return { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' };
}

export function socketAddress(address: string, port: number): Json {
  return { socket_address: { address, port_value: port } };
}
