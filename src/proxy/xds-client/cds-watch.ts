/**
 * CDS over ADS, state of the world: every response carries all clusters, so a cluster missing
 * from it is removed. The whole response is validated before anything changes; then clusters
 * are added or updated (the cluster manager warms them: an EDS cluster until its first
 * assignment) and the EDS subscription follows the EDS clusters that now exist. As in Envoy,
 * EDS requests are held while a CDS response is applied so the new names go out in one request,
 * and bootstrap (static) clusters are never changed or removed by CDS.
 */
import type { Cluster__Output } from '../../xds/generated/envoy/config/cluster/v3/Cluster.js';
import type { ConfigError } from '../config/config-error.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import { parseClusterConfig } from '../upstream/cluster-config.js';
import { checkAdsConfigSource } from './config-source.js';
import type { AppliedResource } from './resource-status.js';
import { UpdateFailures } from './resource-status.js';
import type { DecodedResource, ResourceError, XdsWatch } from './sotw-mux.js';

export interface CdsWatchOptions {
  readonly clusterManager: ClusterManager;
  /** Names of the bootstrap's static clusters. */
  readonly staticClusters: ReadonlySet<string>;
  /** Holds EDS requests; call the result to release them. */
  readonly pauseEds: () => () => void;
  /** The set of EDS service names may have changed. */
  readonly onEdsClustersChanged: () => void;
  readonly log: (message: string) => void;
}

export class CdsWatch implements XdsWatch<Cluster__Output> {
  readonly dynamic = new Map<string, AppliedResource<Cluster__Output>>();
  readonly failures = new UpdateFailures<Cluster__Output>();
  private readonly options: CdsWatchOptions;
  /** EDS service name of every dynamic EDS cluster. */
  private readonly edsServiceNames = new Map<string, string>();

  constructor(options: CdsWatchOptions) {
    this.options = options;
  }

  resourceNames(): undefined {
    return undefined;
  }

  /** EDS service names of the clusters CDS delivered. */
  edsNames(): Iterable<string> {
    return this.edsServiceNames.values();
  }

  async onConfigUpdate(resources: readonly DecodedResource<Cluster__Output>[], versionInfo: string): Promise<ResourceError[]> {
    const resumeEds = this.options.pauseEds();
    try {
      return this.apply(resources, versionInfo);
    } finally {
      resumeEds();
    }
  }

  private apply(resources: readonly DecodedResource<Cluster__Output>[], versionInfo: string): ResourceError[] {
    const errors: ResourceError[] = [];
    const updates: { name: string; config: Cluster__Output; edsServiceName: string | undefined }[] = [];
    for (const { name, resource } of resources) {
      if (this.options.staticClusters.has(name)) {
        // Envoy: "cds: add/update cluster '...' skipped" — a bootstrap cluster is not CDS's to change.
        this.options.log(`cds: cluster '${name}' is a static cluster and cannot be updated via CDS; skipped`);
        continue;
      }
      const parsed = parseClusterConfig(resource, []);
      if (!parsed.ok) {
        errors.push(...tag(parsed.errors, name));
        continue;
      }
      const isEds = parsed.settings.type === 'EDS';
      if (isEds) {
        const configErrors: ConfigError[] = [];
        checkAdsConfigSource(resource.eds_cluster_config?.eds_config, ['eds_cluster_config', 'eds_config'], configErrors);
        errors.push(...tag(configErrors, name));
      }
      updates.push({ name, config: resource, edsServiceName: isEds ? parsed.settings.edsServiceName : undefined });
    }
    if (errors.length > 0) {
      this.failures.record(resources, errors, versionInfo);
      return errors;
    }

    const lastUpdated = new Date().toISOString();
    const seen = new Set<string>();
    for (const { name, config, edsServiceName } of updates) {
      seen.add(name);
      this.failures.clear(name);
      const current = this.dynamic.get(name);
      if (current && JSON.stringify(current.config) === JSON.stringify(config)) continue;
      const result = this.options.clusterManager.addOrUpdateCluster(config, []);
      if (!result.ok) {
        errors.push(...tag(result.errors, name)); // validated above: only a cluster manager change could get here
        continue;
      }
      this.dynamic.set(name, { config, versionInfo, lastUpdated });
      if (edsServiceName === undefined) this.edsServiceNames.delete(name);
      else this.edsServiceNames.set(name, edsServiceName);
    }
    for (const name of [...this.dynamic.keys()]) {
      if (seen.has(name)) continue;
      this.options.clusterManager.removeCluster(name);
      this.dynamic.delete(name);
      this.edsServiceNames.delete(name);
      this.failures.clear(name);
    }
    this.options.onEdsClustersChanged();
    return errors;
  }
}

function tag(errors: readonly ConfigError[], resourceName: string): ResourceError[] {
  return errors.map((e) => ({ ...e, resourceName }));
}
