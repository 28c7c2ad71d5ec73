/** An in-memory ConfigStore: the base of the directory store, and what `skein apply` writes to. */
import type { ConfigResource } from '../../model/config.js';
import { type ResourceType, typeKey } from '../kinds.js';
import type { ConfigChange, ConfigChangeBatch, ConfigListener, ConfigSnapshot, ConfigStore } from './config-store.js';

type Table = ReadonlyMap<string, ReadonlyMap<string, ConfigResource>>;

function objectKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function typeOf(resource: ConfigResource): ResourceType {
  return { group: resource.group, kind: resource.kind };
}

function sorted(resources: Iterable<ConfigResource>): ConfigResource[] {
  return [...resources].sort((a, b) => (a.namespace === b.namespace ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.namespace < b.namespace ? -1 : 1));
}

class Snapshot implements ConfigSnapshot {
  readonly revision: number;
  private readonly table: Table;
  constructor(revision: number, table: Table) {
    this.revision = revision;
    this.table = table;
  }
  list(type: ResourceType, namespace?: string): readonly ConfigResource[] {
    const all = this.table.get(typeKey(type))?.values() ?? [];
    return sorted([...all].filter((r) => namespace === undefined || r.namespace === namespace));
  }
  get(type: ResourceType, namespace: string, name: string): ConfigResource | undefined {
    return this.table.get(typeKey(type))?.get(objectKey(namespace, name));
  }
  all(): readonly ConfigResource[] {
    return [...this.table.values()].flatMap((byName) => sorted(byName.values()));
  }
}

/** A resource to remove: its kind, namespace and name. */
export interface ResourceId {
  readonly type: ResourceType;
  readonly namespace: string;
  readonly name: string;
}

export class MemoryConfigStore implements ConfigStore {
  private table = new Map<string, Map<string, ConfigResource>>();
  private readonly listeners = new Set<ConfigListener>();
  private currentRevision = 0;
  private cached: Snapshot | undefined;

  get revision(): number {
    return this.currentRevision;
  }

  list(type: ResourceType, namespace?: string): readonly ConfigResource[] {
    return this.snapshot().list(type, namespace);
  }

  get(type: ResourceType, namespace: string, name: string): ConfigResource | undefined {
    return this.table.get(typeKey(type))?.get(objectKey(namespace, name));
  }

  snapshot(): ConfigSnapshot {
    // Copy-on-write: a snapshot keeps the maps of its revision; later writes copy them first.
    this.cached ??= new Snapshot(this.currentRevision, this.table);
    return this.cached;
  }

  subscribe(listener: ConfigListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Applies creates/updates and deletes as one batch: one revision, one notification. A resource
   * whose content (its `revision`) is unchanged produces no change. Returns the batch, or
   * undefined when nothing changed.
   */
  update(upserts: readonly ConfigResource[], deletes: readonly ResourceId[] = []): ConfigChangeBatch | undefined {
    const changes: ConfigChange[] = [];
    const next = this.cached ? new Map([...this.table].map(([k, v]) => [k, new Map(v)])) : this.table;
    for (const resource of upserts) {
      const type = typeOf(resource);
      const byName = next.get(typeKey(type)) ?? new Map<string, ConfigResource>();
      next.set(typeKey(type), byName);
      const key = objectKey(resource.namespace, resource.name);
      const previous = byName.get(key);
      if (previous && previous.revision === resource.revision) continue;
      byName.set(key, resource);
      changes.push(previous ? { event: 'update', type, resource, previous } : { event: 'add', type, resource });
    }
    for (const id of deletes) {
      const byName = next.get(typeKey(id.type));
      const key = objectKey(id.namespace, id.name);
      const previous = byName?.get(key);
      if (!byName || !previous) continue;
      byName.delete(key);
      if (byName.size === 0) next.delete(typeKey(id.type));
      changes.push({ event: 'delete', type: id.type, resource: previous });
    }
    if (changes.length === 0) return undefined;
    this.table = next;
    this.cached = undefined;
    this.currentRevision++;
    const batch: ConfigChangeBatch = { revision: this.currentRevision, changes };
    for (const listener of this.listeners) listener(batch);
    return batch;
  }

  /** Creates or replaces resources (`skein apply`). */
  apply(resources: readonly ConfigResource[]): ConfigChangeBatch | undefined {
    return this.update(resources);
  }

  delete(type: ResourceType, namespace: string, name: string): ConfigChangeBatch | undefined {
    return this.update([], [{ type, namespace, name }]);
  }
}
