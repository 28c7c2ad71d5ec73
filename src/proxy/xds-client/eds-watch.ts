/**
 * EDS over ADS: ClusterLoadAssignments for the service names of the EDS clusters that exist
 * (static and from CDS). A response need not carry every watched name; an assignment for a
 * name no cluster watches is ignored, as Envoy's watch map does.
 */
import type { ClusterLoadAssignment__Output } from '../../xds/generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
import type { ConfigError } from '../config/config-error.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import { parseLoadAssignment } from '../upstream/load-assignment.js';
import type { AppliedResource } from './resource-status.js';
import { UpdateFailures } from './resource-status.js';
import type { DecodedResource, ResourceError, XdsWatch } from './sotw-mux.js';

export class EdsWatch implements XdsWatch<ClusterLoadAssignment__Output> {
  readonly applied = new Map<string, AppliedResource<ClusterLoadAssignment__Output>>();
  readonly failures = new UpdateFailures<ClusterLoadAssignment__Output>();
  private readonly clusterManager: ClusterManager;
  private readonly names: () => ReadonlySet<string>;

  constructor(clusterManager: ClusterManager, names: () => ReadonlySet<string>) {
    this.clusterManager = clusterManager;
    this.names = names;
  }

  resourceNames(): readonly string[] {
    return [...this.names()].sort();
  }

  /** Forgets assignments no cluster watches any more (config_dump shows the watched ones). */
  prune(): void {
    const watched = this.names();
    for (const name of [...this.applied.keys()]) if (!watched.has(name)) this.applied.delete(name);
  }

  async onConfigUpdate(
    resources: readonly DecodedResource<ClusterLoadAssignment__Output>[],
    versionInfo: string,
  ): Promise<ResourceError[]> {
    const watched = this.names();
    const accepted = resources.filter((r) => watched.has(r.name));
    const errors: ResourceError[] = [];
    for (const { name, resource } of accepted) {
      const found: ConfigError[] = [];
      parseLoadAssignment(resource, [], found, 'ip');
      errors.push(...found.map((e) => ({ ...e, resourceName: name })));
    }
    if (errors.length > 0) {
      this.failures.record(accepted, errors, versionInfo);
      return errors;
    }
    const lastUpdated = new Date().toISOString();
    for (const { name, resource } of accepted) {
      const result = this.clusterManager.updateLoadAssignment(resource, []);
      if (!result.ok) {
        errors.push(...result.errors.map((e) => ({ ...e, resourceName: name })));
        continue;
      }
      this.failures.clear(name);
      this.applied.set(name, { config: resource, versionInfo, lastUpdated });
    }
    return errors;
  }
}
