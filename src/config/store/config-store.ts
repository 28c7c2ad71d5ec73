/**
 * The config store: where the control plane reads validated Istio / Gateway API config from,
 * whatever its source (a watched directory, `skein apply`, later Kubernetes). Istio's
 * `model.ConfigStore` + `ConfigStoreController` event handlers, with batched changes and a
 * monotonically increasing revision so the control plane can debounce and tell what it has seen.
 */
import type { ConfigResource } from '../../model/config.js';
import type { ResourceType } from '../kinds.js';

export type ConfigEvent = 'add' | 'update' | 'delete';

export interface ConfigChange {
  readonly event: ConfigEvent;
  readonly type: ResourceType;
  /** The resource after the change (for `delete`, the removed resource). */
  readonly resource: ConfigResource;
  /** The resource before an `update`. */
  readonly previous?: ConfigResource;
}

export interface ConfigChangeBatch {
  /** The store revision after applying the batch. */
  readonly revision: number;
  readonly changes: readonly ConfigChange[];
}

export type ConfigListener = (batch: ConfigChangeBatch) => void;

/** An immutable view of the store at one revision. */
export interface ConfigSnapshot {
  readonly revision: number;
  list(type: ResourceType, namespace?: string): readonly ConfigResource[];
  get(type: ResourceType, namespace: string, name: string): ConfigResource | undefined;
  all(): readonly ConfigResource[];
}

export interface ConfigStore {
  /** Increases by one for every batch of changes applied. */
  readonly revision: number;
  /** Resources of a kind, optionally of one namespace, ordered by namespace then name. */
  list(type: ResourceType, namespace?: string): readonly ConfigResource[];
  get(type: ResourceType, namespace: string, name: string): ConfigResource | undefined;
  snapshot(): ConfigSnapshot;
  /** Called after each batch of changes; returns the function that unsubscribes. */
  subscribe(listener: ConfigListener): () => void;
}
