/** The `Node` of a proxy's first DiscoveryRequest, as the plain `ProxyNode` generators read. */
import type { Node__Output } from '../xds/generated/envoy/config/core/v3/Node.js';
import type { Struct__Output } from '../xds/generated/google/protobuf/Struct.js';
import type { Value__Output } from '../xds/generated/google/protobuf/Value.js';
import type { ProxyNode } from './generator.js';

export function proxyNodeOf(node: Node__Output): ProxyNode {
  const build = node.user_agent_build_version?.version;
  return {
    id: node.id,
    cluster: node.cluster,
    metadata: structToJson(node.metadata),
    locality: node.locality
      ? { region: node.locality.region, zone: node.locality.zone, subZone: node.locality.sub_zone }
      : undefined,
    userAgentName: node.user_agent_name,
    userAgentVersion:
      node.user_agent_version ?? (build ? `${build.major_number}.${build.minor_number}.${build.patch}` : ''),
    clientFeatures: node.client_features,
  };
}

/** A protobuf `Struct` as the JSON object it represents. */
export function structToJson(struct: Struct__Output | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(struct?.fields ?? {})) out[key] = valueToJson(value);
  return out;
}

function valueToJson(value: Value__Output): unknown {
  // The discriminator names the member that is set; read it by that name so either field
  // spelling of google/protobuf/struct.proto (snake or lowerCamel) works.
  const kind = value.kind;
  if (kind === undefined) return null;
  const member = (value as Record<string, unknown>)[kind];
  switch (kind) {
    case 'structValue':
      return structToJson(member as Struct__Output);
    case 'listValue':
      return ((member as { values?: Value__Output[] } | null)?.values ?? []).map(valueToJson);
    case 'nullValue':
      return null;
    default:
      return member;
  }
}
