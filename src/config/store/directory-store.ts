/**
 * A ConfigStore over a directory of YAML/JSON files, watched for changes (fs.watch on every
 * directory of the tree, debounced). Each file is applied atomically: a file that fails
 * validation never replaces the resources it last contributed successfully; its errors become
 * the file's current diagnostics.
 * Removing a file removes its resources. A resource defined by two files belongs to the file
 * that defined it first; the other file is rejected until the conflict goes away.
 */
import { createHash } from 'node:crypto';
import { existsSync, type FSWatcher, readdirSync, readFileSync, watch } from 'node:fs';
import path from 'node:path';
import type { ConfigResource } from '../../model/config.js';
import { type Diagnostic, MSG, diagnostic } from '../diagnostic.js';
import type { ResourceType } from '../kinds.js';
import { CONFIG_FILE, duplicateDiagnostics, fromText, listConfigFiles, resourceKey } from '../load.js';
import type { ParsedResource } from '../parse.js';
import type { ConfigListener, ConfigSnapshot, ConfigStore } from './config-store.js';
import { MemoryConfigStore, type ResourceId } from './memory-store.js';

export interface DirectoryStoreOptions {
  /** Namespace of resources that name none; default `default`. */
  readonly defaultNamespace?: string;
  /** Quiet time before a burst of file events is applied; default 100 ms. */
  readonly debounceMs?: number;
  /** Called with a file's diagnostics each time the file is (re)loaded or removed (then with none). */
  readonly onDiagnostics?: (file: string, diagnostics: readonly Diagnostic[]) => void;
}

interface FileState {
  readonly hash: string;
  /** The resources of the last version of the file that validated. */
  readonly accepted: readonly ParsedResource[];
  readonly diagnostics: readonly Diagnostic[];
  readonly rejectedForDuplicate: boolean;
}

type Pending = Map<string, { readonly resource: ConfigResource | undefined; readonly id: ResourceId }>;

export class DirectoryConfigStore implements ConfigStore {
  readonly dir: string;
  private readonly store = new MemoryConfigStore();
  private readonly files = new Map<string, FileState>();
  /** Resource key → the file it came from. */
  private readonly owners = new Map<string, string>();
  private readonly pendingPaths = new Set<string>();
  private readonly options: DirectoryStoreOptions;
  /** One non-recursive watcher per directory: inotify on a directory sees creates, writes, renames and removals of its entries, whatever an editor does to the file's inode. */
  private readonly watchers = new Map<string, FSWatcher>();
  private closed = false;
  private timer: NodeJS.Timeout | undefined;

  private constructor(dir: string, options: DirectoryStoreOptions) {
    this.dir = dir;
    this.options = options;
  }

  /** Loads every file under `dir` (one batch), then watches it. */
  static open(dir: string, options: DirectoryStoreOptions = {}): DirectoryConfigStore {
    const store = new DirectoryConfigStore(path.resolve(dir), options);
    store.sync(new Set());
    store.watchDirectories();
    return store;
  }

  close(): void {
    this.closed = true;
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Watches every (non-hidden) directory under the root, and stops watching removed ones; true when it added one. */
  private watchDirectories(): boolean {
    if (this.closed) return false;
    let added = false;
    const dirs = new Set<string>();
    const walk = (dir: string): void => {
      dirs.add(dir);
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) if (entry.isDirectory() && !entry.name.startsWith('.')) walk(path.join(dir, entry.name));
    };
    if (existsSync(this.dir)) walk(this.dir);
    for (const [dir, watcher] of this.watchers) {
      if (!dirs.has(dir)) {
        watcher.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, (_event, filename) => {
          if (filename) this.pendingPaths.add(path.join(dir, filename.toString()));
          this.schedule();
        });
        // A watched directory that disappears errors out; the next sync forgets it.
        watcher.on('error', () => this.schedule());
        this.watchers.set(dir, watcher);
        added = true;
      } catch {
        // Removed between listing and watching: the rescan of the parent covers it.
      }
    }
    return added;
  }

  get revision(): number {
    return this.store.revision;
  }
  list(type: ResourceType, namespace?: string): readonly ConfigResource[] {
    return this.store.list(type, namespace);
  }
  get(type: ResourceType, namespace: string, name: string): ConfigResource | undefined {
    return this.store.get(type, namespace, name);
  }
  snapshot(): ConfigSnapshot {
    return this.store.snapshot();
  }
  subscribe(listener: ConfigListener): () => void {
    return this.store.subscribe(listener);
  }

  /** Every file's current diagnostics (a rejected file's errors, an accepted file's warnings). */
  diagnostics(): readonly Diagnostic[] {
    return [...this.files.values()].flatMap((f) => f.diagnostics);
  }

  /** The accepted resources with their source lines, for analysis. */
  parsedResources(): readonly ParsedResource[] {
    return [...this.files.values()].flatMap((f) => f.accepted);
  }

  /** Applies pending file events now instead of after the debounce. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const paths = new Set(this.pendingPaths);
    this.pendingPaths.clear();
    this.sync(paths);
    // Files written into a new directory before its watcher existed are found by one more rescan.
    if (this.watchDirectories()) this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.options.debounceMs ?? 100);
    this.timer.unref();
  }

  /** Re-reads the changed paths plus every file that appeared or vanished since the last sync. */
  private sync(eventPaths: ReadonlySet<string>): void {
    const present = existsSync(this.dir) ? listConfigFiles([this.dir]) : [];
    const presentSet = new Set(present);
    const candidates = new Set<string>();
    for (const p of eventPaths) if (CONFIG_FILE.test(p) && (presentSet.has(p) || this.files.has(p))) candidates.add(p);
    for (const p of present) if (!this.files.has(p)) candidates.add(p);
    for (const p of this.files.keys()) if (!presentSet.has(p)) candidates.add(p);
    const pending: Pending = new Map();
    for (const file of [...candidates].sort()) this.reload(file, presentSet.has(file), pending);
    // A file rejected only for defining another file's resource may be fine now.
    for (const [file, state] of this.files) {
      if (state.rejectedForDuplicate && !candidates.has(file)) this.reload(file, true, pending, true);
    }
    const upserts = [...pending.values()].flatMap((p) => (p.resource ? [p.resource] : []));
    const deletes = [...pending.values()].filter((p) => !p.resource).map((p) => p.id);
    this.store.update(upserts, deletes);
  }

  private reload(file: string, exists: boolean, pending: Pending, retry = false): void {
    const previous = this.files.get(file);
    if (!exists) {
      for (const r of previous?.accepted ?? []) this.release(r, file, pending);
      this.files.delete(file);
      if (previous) this.options.onDiagnostics?.(file, []);
      return;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      // Vanished between listing and reading (an editor's rename): the next event settles it.
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.setState(file, previous, [diagnostic(MSG.UnreadableFile, `cannot read ${file}: ${reason}`, { file })], false);
      return;
    }
    const hash = createHash('sha256').update(text).digest('hex');
    if (previous && previous.hash === hash && !retry && !previous.rejectedForDuplicate) return;
    const loaded = fromText(file, text, this.options.defaultNamespace ? { defaultNamespace: this.options.defaultNamespace } : {});
    const duplicates = loaded.accepted ? duplicateDiagnostics(loaded, this.owners) : [];
    const diagnostics = [...loaded.diagnostics, ...duplicates];
    if (!loaded.accepted || duplicates.length > 0) {
      this.setState(file, previous, diagnostics, duplicates.length > 0 && loaded.accepted, hash);
      return;
    }
    const keep = new Set(loaded.resources.map(resourceKey));
    for (const r of previous?.accepted ?? []) if (!keep.has(resourceKey(r))) this.release(r, file, pending);
    for (const r of loaded.resources) {
      const key = resourceKey(r);
      this.owners.set(key, file);
      pending.set(key, { resource: r.resource, id: { type: r.type, namespace: r.resource.namespace, name: r.resource.name } });
    }
    this.files.set(file, { hash, accepted: loaded.resources, diagnostics, rejectedForDuplicate: false });
    this.options.onDiagnostics?.(file, diagnostics);
  }

  /** A rejected file keeps its last good resources; only its diagnostics change. */
  private setState(file: string, previous: FileState | undefined, diagnostics: Diagnostic[], duplicate: boolean, hash = ''): void {
    this.files.set(file, { hash, accepted: previous?.accepted ?? [], diagnostics, rejectedForDuplicate: duplicate });
    this.options.onDiagnostics?.(file, diagnostics);
  }

  private release(r: ParsedResource, file: string, pending: Pending): void {
    const key = resourceKey(r);
    if (this.owners.get(key) !== file) return;
    this.owners.delete(key);
    pending.set(key, { resource: undefined, id: { type: r.type, namespace: r.resource.namespace, name: r.resource.name } });
  }
}
