/**
 * What the control plane asks the xDS server to push (Istio's `model.PushRequest`), and how two
 * requests merge while they wait in the debounce window or in a proxy's pending slot.
 * Reasons are kept once each (`pilot_push_triggers` counts them as they arrive).
 */

/** Why a push happens: Istio's trigger reasons (`pilot_push_triggers{type}`). */
export type TriggerReason =
  | 'endpoint'
  | 'config'
  | 'service'
  | 'proxy'
  | 'global'
  | 'unknown'
  | 'debug'
  | 'secret'
  | 'networks'
  | 'proxyrequest'
  | 'namespace'
  | 'cluster'
  | (string & {});

export interface PushRequest {
  /**
   * A full push regenerates every type a proxy watches (config or service change). A non-full
   * push is an endpoint-only change: only EDS is pushed, for the clusters in `edsUpdates`.
   */
  readonly full: boolean;
  readonly reason: readonly TriggerReason[];
  /**
   * For a non-full push, the hostnames or cluster names whose endpoints changed (the generator
   * maps them to ClusterLoadAssignments). Absent means "every cluster's endpoints".
   */
  readonly edsUpdates?: ReadonlySet<string>;
  /**
   * For a full push caused by config changes alone, the kinds that changed (Istio's
   * `ConfigsUpdated`), as the generator names them; it may skip types those kinds cannot
   * affect. Absent means anything may have changed.
   */
  readonly configsUpdated?: ReadonlySet<string>;
  /** When the first change merged into this request happened (`performance.now()` ms); set by the server. */
  readonly start?: number;
}

/**
 * Merges a newer request into an older one (Istio's `PushRequest.Merge`): full if either is;
 * the union of endpoint updates, where "all endpoints" absorbs any set; the union of updated
 * config kinds when both are config-only full pushes (anything else may change every type, an
 * endpoint change included); the earliest start, so convergence is measured from the first
 * change that was still waiting.
 */
export function mergePushRequests(older: PushRequest, newer: PushRequest): PushRequest {
  const full = older.full || newer.full;
  let edsUpdates: ReadonlySet<string> | undefined;
  if (!full && older.edsUpdates && newer.edsUpdates) {
    edsUpdates = new Set([...older.edsUpdates, ...newer.edsUpdates]);
  }
  let configsUpdated: ReadonlySet<string> | undefined;
  if (older.full && newer.full && older.configsUpdated && newer.configsUpdated) {
    configsUpdated = new Set([...older.configsUpdated, ...newer.configsUpdated]);
  }
  const start =
    older.start === undefined ? newer.start : newer.start === undefined ? older.start : Math.min(older.start, newer.start);
  return {
    full,
    reason: [...new Set([...older.reason, ...newer.reason])],
    ...(edsUpdates ? { edsUpdates } : {}),
    ...(configsUpdated ? { configsUpdated } : {}),
    ...(start === undefined ? {} : { start }),
  };
}
