/**
 * Which config kinds each xDS type's output reads (Istio's `skippedCdsConfigs`,
 * `skippedEdsConfigs`, ... in pilot/pkg/xds/{cds,eds,lds,rds}.go, for Skein's translation): a
 * push caused only by changes to kinds a type does not read cannot change that type, so the
 * server need not regenerate it. Kinds are `MeshConfigs` list names.
 *
 *   CDS: Sidecar (visibility), DestinationRule (subsets, policies, inbound pools)
 *   EDS: Sidecar (visibility), DestinationRule (subsets, locality load balancing)
 *   LDS: Sidecar, VirtualService (TCP routes), Gateway, Gateway API (converted to those)
 *   RDS: all of the above
 *
 * VirtualServices never add clusters in Skein (Istio's SidecarScope does add their
 * destinations, hence its CDS push on a VirtualService change). Only kinds listed here are
 * known: a change to any other kind affects every type.
 */
import type { MeshConfigs } from '../model/index.js';
import { CLUSTER_TYPE_URL, ENDPOINT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_TYPE_URL } from './xds-resource.js';

type Kind = keyof MeshConfigs;

const ROUTING: readonly Kind[] = ['virtualServices', 'httpRoutes', 'grpcRoutes', 'kubernetesGateways', 'gateways'];

const READS: Readonly<Record<string, ReadonlySet<Kind>>> = {
  [CLUSTER_TYPE_URL]: new Set(['sidecars', 'destinationRules']),
  [ENDPOINT_TYPE_URL]: new Set(['sidecars', 'destinationRules']),
  [LISTENER_TYPE_URL]: new Set(['sidecars', ...ROUTING]),
  [ROUTE_TYPE_URL]: new Set(['sidecars', 'destinationRules', ...ROUTING]),
};

/** Every kind translation reads. */
const KNOWN: ReadonlySet<string> = new Set(Object.values(READS).flatMap((kinds) => [...kinds]));

/** Whether a change to these config kinds (and nothing else) can change the output of `typeUrl`. */
export function configChangeAffects(typeUrl: string, kinds: ReadonlySet<string>): boolean {
  const reads = READS[typeUrl];
  if (!reads) return true;
  for (const kind of kinds) if (!KNOWN.has(kind) || reads.has(kind as Kind)) return true;
  return false;
}
