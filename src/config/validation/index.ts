/** Semantic validation by kind, run after the CRD schema accepted a resource. */
import type { ConfigResource } from '../../model/config.js';
import { KIND, type ResourceType, typeKey } from '../kinds.js';
import type { Issue } from '../schema-validator.js';
import type { Issues } from './common.js';
import { validateRouteRegexes } from './gateway-api.js';
import {
  validateDestinationRule,
  validateGateway,
  validateServiceEntry,
  validateSidecar,
  validateWorkloadEntryResource,
} from './networking.js';
import { validateAuthorizationPolicy, validatePeerAuthentication, validateRequestAuthentication } from './security.js';
import { validateVirtualService } from './virtual-service.js';

const VALIDATORS = new Map<string, (resource: ConfigResource) => Issues>([
  [typeKey(KIND.VirtualService), validateVirtualService],
  [typeKey(KIND.DestinationRule), validateDestinationRule],
  [typeKey(KIND.Gateway), validateGateway],
  [typeKey(KIND.ServiceEntry), validateServiceEntry],
  [typeKey(KIND.WorkloadEntry), validateWorkloadEntryResource],
  [typeKey(KIND.Sidecar), validateSidecar],
  [typeKey(KIND.PeerAuthentication), validatePeerAuthentication],
  [typeKey(KIND.AuthorizationPolicy), validateAuthorizationPolicy],
  [typeKey(KIND.RequestAuthentication), validateRequestAuthentication],
  [typeKey(KIND.HTTPRoute), validateRouteRegexes],
  [typeKey(KIND.GRPCRoute), validateRouteRegexes],
]);

/** Istio's per-kind validation of one resource (what its admission webhook rejects or warns about). */
export function validateSemantics(type: ResourceType, resource: ConfigResource): readonly Issue[] {
  return VALIDATORS.get(typeKey(type))?.(resource).list ?? [];
}
