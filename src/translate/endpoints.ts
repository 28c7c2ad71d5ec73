/**
 * ClusterLoadAssignments (EDS) as Istio's EndpointBuilder builds them
 * (pilot/pkg/xds/endpoints/endpoint_builder.go, networking/core/loadbalancer/loadbalancer.go):
 * endpoints of the service port (matched by port name) whose labels carry the subset's labels,
 * healthy or unhealthy-but-reported only as HEALTHY ones (unhealthy and draining are left out),
 * grouped by locality, weights summed per locality, then locality failover priorities or
 * `distribute` weights relative to the proxy's locality.
 */
import {
  labelsMatch,
  localityLabel,
  type Labels,
  type Locality,
  type LocalityLoadBalancerSetting,
  type Service,
  type ServiceEndpoint,
  type ServicePort,
} from '../model/index.js';
import { effectiveLocalitySetting } from './cluster-policy.js';
import { portLevelPolicy, subsetPolicy } from './destination-rules.js';
import { parseSubsetKey } from './names.js';
import type { SidecarScope } from './sidecar-scope.js';
import type { Json } from './xds-resource.js';

interface LocalityGroup {
  locality: Locality;
  label: string;
  endpoints: ServiceEndpoint[];
  priority: number;
  weight: number;
  lbEndpoints: Json[];
}

function localityJson(l: Locality): Json {
  return { ...(l.region ? { region: l.region } : {}), ...(l.zone ? { zone: l.zone } : {}), ...(l.subzone ? { sub_zone: l.subzone } : {}) };
}

/** Istio `util.LocalityMatch`: `region/zone/subzone` with `*` wildcards; missing parts match anything. */
export function localityMatches(l: Locality, pattern: string): boolean {
  const parts = pattern.split('/');
  const values = [l.region, l.zone, l.subzone];
  for (let i = 0; i < parts.length && i < 3; i++) {
    const p = parts[i];
    if (p === '*') return true;
    if (p !== values[i]) return false;
  }
  return true;
}

/** Istio `LbPriority`: 0 same subzone, 1 same zone, 2 same region, 3 elsewhere. */
function lbPriority(proxy: Locality, ep: Locality): number {
  if (proxy.region !== ep.region) return 3;
  if (proxy.zone !== ep.zone) return 2;
  return proxy.subzone === ep.subzone ? 0 : 1;
}

/** Istio `applyLocalityFailover` (default ordering plus region `failover` rules), priorities compacted. */
function applyFailover(groups: LocalityGroup[], proxy: Locality, setting: LocalityLoadBalancerSetting): void {
  for (const g of groups) {
    let p = lbPriority(proxy, g.locality);
    if (p === 3) {
      const rule = setting.failover?.find((f) => f.from === proxy.region);
      if (rule && g.locality.region !== rule.to) p = 4;
    }
    g.priority = p;
  }
  const distinct = [...new Set(groups.map((g) => g.priority))].sort((a, b) => a - b);
  for (const g of groups) g.priority = distinct.indexOf(g.priority);
}

/** Istio `applyLocalityWeights`: the first `distribute` rule whose `from` matches the proxy. */
function applyDistribute(groups: LocalityGroup[], proxy: Locality, setting: LocalityLoadBalancerSetting): void {
  const rule = setting.distribute?.find((d) => d.from !== undefined && localityMatches(proxy, d.from));
  if (!rule) return;
  const unmatched = new Set(groups.keys());
  for (const [pattern, weight] of Object.entries(rule.to ?? {})) {
    const matched = [...unmatched].filter((i) => {
      const g = groups[i];
      return g !== undefined && localityMatches(g.locality, pattern);
    });
    const total = matched.reduce((s, i) => s + (groups[i]?.weight ?? 0), 0);
    for (const i of matched) {
      unmatched.delete(i);
      const g = groups[i];
      if (!g || total === 0) continue;
      const w = (g.weight * weight) / total;
      if (w > 0) g.weight = Math.ceil(w);
    }
  }
  for (const i of unmatched) {
    const g = groups[i];
    if (g) g.lbEndpoints = [];
  }
}

/** The endpoints of one service port, optionally narrowed to subset labels, usable for traffic. */
export function endpointsFor(endpoints: readonly ServiceEndpoint[], port: ServicePort, subsetLabels: Labels | undefined): ServiceEndpoint[] {
  return endpoints
    .filter((e) => e.servicePortName === port.name && e.servicePort === port.port)
    .filter((e) => labelsMatch(subsetLabels, e.labels))
    .filter((e) => e.health === 'HEALTHY')
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
}

/** LocalityLbEndpoints for a set of endpoints, with Istio's locality LB applied. */
export function localityLbEndpoints(
  endpoints: readonly ServiceEndpoint[],
  proxyLocality: Locality,
  setting: LocalityLoadBalancerSetting | undefined,
  enableFailover: boolean,
): Json[] {
  const byLabel = new Map<string, LocalityGroup>();
  for (const ep of endpoints) {
    const label = localityLabel(ep.locality);
    let g = byLabel.get(label);
    if (!g) byLabel.set(label, (g = { locality: ep.locality, label, endpoints: [], priority: 0, weight: 0, lbEndpoints: [] }));
    const weight = ep.weight > 0 ? ep.weight : 1;
    g.endpoints.push(ep);
    g.weight += weight;
    g.lbEndpoints.push({
      endpoint: { address: { socket_address: { address: ep.address, port_value: ep.port } } },
      health_status: 'HEALTHY',
      load_balancing_weight: weight,
    });
  }
  const groups = [...byLabel.values()].sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  if (setting?.distribute !== undefined) applyDistribute(groups, proxyLocality, setting);
  else if (setting && enableFailover) applyFailover(groups, proxyLocality, setting);
  return groups.map((g) => ({
    locality: localityJson(g.locality),
    lb_endpoints: g.lbEndpoints,
    load_balancing_weight: g.weight,
    ...(g.priority > 0 ? { priority: g.priority } : {}),
  }));
}

/** The DestinationRule subset labels and effective policy for an outbound cluster. */
export function clusterPolicyContext(scope: SidecarScope, service: Service, port: number, subset: string) {
  const rule = scope.destinationRule(service.hostname);
  const subsetSpec = subset ? rule?.spec.subsets?.find((s) => s.name === subset) : undefined;
  const policy = subset ? subsetPolicy(rule?.spec.trafficPolicy, subsetSpec?.trafficPolicy, port) : portLevelPolicy(rule?.spec.trafficPolicy, port).policy;
  return { rule, subsetSpec, policy };
}

/**
 * EDS for one cluster name; an empty assignment when the cluster is unknown (as Istio answers).
 * Besides the scope it reads only the proxy's locality (failover priorities, distribute weights).
 */
export function buildLoadAssignment(scope: SidecarScope, proxyLocality: Locality, clusterName: string): Json {
  const empty = { cluster_name: clusterName };
  const key = parseSubsetKey(clusterName);
  if (!key || key.direction !== 'outbound') return empty;
  const service = scope.serviceByHost.get(key.hostname);
  const port = service?.ports.find((p) => p.port === key.port);
  if (!service || !port) return empty;
  const { subsetSpec, policy } = clusterPolicyContext(scope, service, key.port, key.subset);
  if (key.subset && !subsetSpec) return empty;
  const eps = endpointsFor(scope.push.endpointsOf(service.hostname), port, subsetSpec?.labels);
  if (eps.length === 0) return empty;
  const setting = effectiveLocalitySetting(policy?.loadBalancer, scope.push.mesh);
  return {
    cluster_name: clusterName,
    endpoints: localityLbEndpoints(eps, proxyLocality, setting, policy?.outlierDetection !== undefined),
  };
}
