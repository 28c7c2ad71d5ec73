/** VirtualService `tcp` routes for a sidecar's TCP listener (Istio networkfilter.go `buildOutboundNetworkFilters`). */
import type { Service } from '../model/index.js';
import { destinationCluster } from './route-translate.js';
import type { SidecarScope } from './sidecar-scope.js';

/**
 * Weighted clusters from the first VirtualService `tcp` route for this service whose match
 * (port, source labels, source namespace) applies; undefined when none does. Destination
 * subnets are not matched: Skein's listener is per service, so they would always hold.
 */
export function tcpRouteDestinations(scope: SidecarScope, service: Service, port: number): { name: string; weight: number }[] | undefined {
  for (const vs of scope.meshVirtualServices) {
    if (!(vs.spec.hosts ?? []).includes(service.hostname)) continue;
    for (const route of vs.spec.tcp ?? []) {
      const applies =
        !route.match ||
        route.match.length === 0 ||
        route.match.some(
          (m) =>
            (!m.port || m.port === port) &&
            scope.view.matches(m.sourceLabels) &&
            (!m.sourceNamespace || m.sourceNamespace === scope.view.namespace),
        );
      if (!applies || !route.route?.length) continue;
      const dests = route.route.filter((d) => route.route?.length === 1 || (d.weight ?? 0) > 0);
      return dests.map((d) => ({
        name: destinationCluster(d.destination, scope.serviceByHost.get(d.destination.host), port),
        weight: route.route?.length === 1 ? 1 : (d.weight ?? 0),
      }));
    }
    return undefined;
  }
  return undefined;
}
