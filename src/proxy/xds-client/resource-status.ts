/**
 * What config_dump tells about dynamic resources beyond their current config: the version
 * that delivered each one, when, and for resources in a rejected response, Envoy's
 * UpdateFailureState (the failed config, the attempt's time and version, the error details).
 */
import { formatPath } from '../../xds/proto-json.js';
import type { DecodedResource, ResourceError } from './sotw-mux.js';

export interface AppliedResource<T> {
  readonly config: T;
  readonly versionInfo: string;
  readonly lastUpdated: string;
}

export interface UpdateFailure<T> {
  readonly failedConfig: T;
  readonly lastUpdateAttempt: string;
  readonly details: string;
  readonly versionInfo: string;
}

export class UpdateFailures<T> {
  private readonly failures = new Map<string, UpdateFailure<T>>();

  /** Records the failure of every resource an error names. */
  record(resources: readonly DecodedResource<T>[], errors: readonly ResourceError[], versionInfo: string): void {
    const at = new Date().toISOString();
    for (const { name, resource } of resources) {
      const mine = errors.filter((e) => e.resourceName === name);
      if (mine.length === 0) continue;
      const details = mine.map((e) => (e.path.length > 0 ? `${formatPath(e.path)}: ${e.message}` : e.message)).join('; ');
      this.failures.set(name, { failedConfig: resource, lastUpdateAttempt: at, details, versionInfo });
    }
  }

  /** The resource was applied (or removed): its earlier failure no longer stands. */
  clear(name: string): void {
    this.failures.delete(name);
  }

  get(name: string): UpdateFailure<T> | undefined {
    return this.failures.get(name);
  }

  entries(): IterableIterator<[string, UpdateFailure<T>]> {
    return this.failures.entries();
  }
}
