/**
 * DestinationRule lookup and merging as Istio does it (pilot/pkg/model/push_context.go
 * `destinationRule`, destination_rule.go `mergeDestinationRule`): rules for one host in one
 * namespace are merged (subsets appended, first traffic policy wins, oldest first); a proxy
 * looks in its own namespace, then the service's namespace, then the root namespace.
 */
import {
  hostsOverlap,
  hostSubsetOf,
  isWildcardHost,
  resolveShortName,
  type ConfigResource,
  type DestinationRuleSpec,
  type Labels,
  type MeshConfig,
  type Subset,
  type TrafficPolicy,
} from '../model/index.js';
import { isExportedTo, normalizeExportTo } from './virtual-services.js';

export interface ConsolidatedDestinationRule {
  /** The merged rule, host resolved to an FQDN. */
  readonly spec: DestinationRuleSpec;
  readonly namespace: string;
  readonly exportTo: readonly string[];
  readonly selector?: Labels;
  /** `namespace/name` of every rule merged in, oldest first. */
  readonly from: readonly string[];
}

interface MutableRule {
  spec: DestinationRuleSpec;
  namespace: string;
  exportTo: string[];
  selector?: Labels;
  from: string[];
}

function sameLabels(a: Labels | undefined, b: Labels | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  return ka.length === kb.length && ka.every((k) => a?.[k] === b?.[k]);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Rules by namespace, then host. */
export class DestinationRuleIndex {
  private readonly byNamespace = new Map<string, Map<string, MutableRule[]>>();
  private readonly rootNamespace: string;

  constructor(configs: readonly ConfigResource<DestinationRuleSpec>[], mesh: MeshConfig) {
    this.rootNamespace = mesh.rootNamespace;
    for (const c of configs) {
      const host = resolveShortName(c.spec.host, c.namespace, mesh.domainSuffix);
      const exportTo = normalizeExportTo(c.spec.exportTo, c.namespace, mesh.defaultDestinationRuleExportTo);
      if (exportTo.includes('~')) continue;
      const selector = c.spec.workloadSelector?.labels;
      let hosts = this.byNamespace.get(c.namespace);
      if (!hosts) this.byNamespace.set(c.namespace, (hosts = new Map()));
      const list = hosts.get(host) ?? [];
      hosts.set(host, list);
      const key = `${c.namespace}/${c.name}`;
      // Merge with an existing rule for the same host and same selector (and exportTo).
      const existing = list.find((r) => sameLabels(r.selector, selector) && sameSet(r.exportTo, exportTo));
      if (!existing) {
        list.push({ spec: { ...c.spec, host }, namespace: c.namespace, exportTo, ...(selector ? { selector } : {}), from: [key] });
        continue;
      }
      const names = new Set((existing.spec.subsets ?? []).map((s) => s.name));
      const subsets: Subset[] = [...(existing.spec.subsets ?? []), ...(c.spec.subsets ?? []).filter((s) => !names.has(s.name))];
      existing.spec = {
        ...existing.spec,
        subsets,
        ...(existing.spec.trafficPolicy ? {} : c.spec.trafficPolicy ? { trafficPolicy: c.spec.trafficPolicy } : {}),
      };
      existing.from.push(key);
    }
  }

  /** Istio `MostSpecificHostMatch`: the exact host, else the longest wildcard covering it. */
  private match(namespace: string, hostname: string): MutableRule[] | undefined {
    const hosts = this.byNamespace.get(namespace);
    if (!hosts) return undefined;
    const exact = hosts.get(hostname);
    if (exact) return exact;
    let best: string | undefined;
    for (const h of hosts.keys()) {
      if (!isWildcardHost(h)) continue;
      const covers = isWildcardHost(hostname) ? hostSubsetOf(hostname, h) : hostsOverlap(hostname, h);
      if (covers && (best === undefined || h.length > best.length)) best = h;
    }
    return best === undefined ? undefined : hosts.get(best);
  }

  /** The workload selectors of rules in a namespace (the only ones a proxy there can match). */
  selectorsIn(namespace: string): Labels[] {
    const out: Labels[] = [];
    for (const rules of this.byNamespace.get(namespace)?.values() ?? []) for (const r of rules) if (r.selector) out.push(r.selector);
    return out;
  }

  /**
   * The rule that applies to `hostname` for a proxy in `proxyNamespace` whose labels
   * `selects` a selector or not: 1. the proxy's namespace (any exportTo), 2. the service's
   * namespace (exported to the proxy), 3. the root namespace (exported to the proxy). Among
   * candidates, a rule whose workloadSelector matches the proxy wins over one without selector.
   */
  lookup(
    hostname: string,
    serviceNamespace: string,
    proxyNamespace: string,
    selects: (selector: Labels) => boolean,
  ): ConsolidatedDestinationRule | undefined {
    const pick = (rules: MutableRule[] | undefined, requireExport: boolean): MutableRule | undefined => {
      if (!rules) return undefined;
      const usable = rules.filter(
        (r) =>
          (!requireExport || isExportedTo(r.exportTo, proxyNamespace)) &&
          (!r.selector || (r.namespace === proxyNamespace && selects(r.selector))),
      );
      return usable.find((r) => r.selector) ?? usable.find((r) => !r.selector);
    };
    const candidates: [string, boolean][] = [];
    if (proxyNamespace !== this.rootNamespace) candidates.push([proxyNamespace, false]);
    candidates.push([serviceNamespace, true], [this.rootNamespace, true]);
    for (const [ns, requireExport] of candidates) {
      const found = pick(this.match(ns, hostname), requireExport);
      if (found) return found;
    }
    return undefined;
  }
}

/**
 * Istio `GetPortLevelTrafficPolicy`: a matching portLevelSettings entry replaces the policy
 * entirely (it is not merged with the top-level settings).
 */
export function portLevelPolicy(policy: TrafficPolicy | undefined, port: number): { policy: TrafficPolicy | undefined; portLevel: boolean } {
  if (!policy) return { policy: undefined, portLevel: false };
  const pls = policy.portLevelSettings?.find((p) => p.port?.number === port);
  if (!pls) return { policy, portLevel: false };
  return {
    policy: {
      ...(pls.connectionPool ? { connectionPool: pls.connectionPool } : {}),
      ...(pls.loadBalancer ? { loadBalancer: pls.loadBalancer } : {}),
      ...(pls.outlierDetection ? { outlierDetection: pls.outlierDetection } : {}),
      ...(pls.tls ? { tls: pls.tls } : {}),
    },
    portLevel: true,
  };
}

/**
 * Istio `MergeSubsetTrafficPolicy`: the subset's (port-level) settings override the rule's,
 * field by field; a subset port-level entry overrides all four fields, even with nothing.
 */
export function subsetPolicy(rulePolicy: TrafficPolicy | undefined, subset: TrafficPolicy | undefined, port: number): TrafficPolicy | undefined {
  const original = portLevelPolicy(rulePolicy, port).policy;
  if (!subset) return original;
  const { policy: sub, portLevel } = portLevelPolicy(subset, port);
  if (!original) return sub;
  const s = sub ?? {};
  const out: Record<string, unknown> = { ...original };
  if (s.connectionPool || portLevel) out.connectionPool = s.connectionPool;
  if (s.outlierDetection || portLevel) out.outlierDetection = s.outlierDetection;
  if (s.loadBalancer || portLevel) out.loadBalancer = s.loadBalancer;
  if (s.tls || portLevel) out.tls = s.tls;
  if (s.tunnel) out.tunnel = s.tunnel;
  if (s.proxyProtocol) out.proxyProtocol = s.proxyProtocol;
  if (s.retryBudget) out.retryBudget = s.retryBudget;
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as TrafficPolicy;
}
