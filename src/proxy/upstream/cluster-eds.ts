/**
 * EDS: hosts come only from ClusterLoadAssignments named `eds_cluster_config.service_name` (or
 * the cluster name). The cluster warms until the first one arrives and, until then, has no
 * host to choose. As Envoy's subscription does, it stops waiting after the ConfigSource's
 * `initial_fetch_timeout` (15 s by default, 0 waits forever) and counts `init_fetch_timeout`;
 * `wait_for_warm_on_init: false` lets it count as initialized at once.
 */
import { durationMs } from '../../xds/duration.js';
import { ClusterBase } from './cluster-base.js';
import type { ParsedAssignment } from './load-assignment.js';

export const DEFAULT_INITIAL_FETCH_TIMEOUT_MS = 15_000;

export class EdsCluster extends ClusterBase {
  private fetchTimer: NodeJS.Timeout | undefined;

  start(): void {
    if (!this.settings.waitForWarmOnInit) this.markInitialized();
    if (this.initialized) return;
    const timeout = durationMs(
      this.config.eds_cluster_config?.eds_config?.initial_fetch_timeout,
      DEFAULT_INITIAL_FETCH_TIMEOUT_MS,
    );
    if (timeout > 0) {
      this.fetchTimer = setTimeout(() => {
        this.fetchTimer = undefined;
        if (this.initialized) return;
        this.stats.init_fetch_timeout.inc();
        this.markInitialized();
      }, timeout);
      this.fetchTimer.unref?.();
    }
  }

  protected override stop(): void {
    super.stop();
    clearTimeout(this.fetchTimer);
  }

  get serviceName(): string {
    return this.settings.edsServiceName;
  }

  applyAssignment(assignment: ParsedAssignment): void {
    if (!this.running) return;
    this.stats.update_attempt.inc();
    this.stats.update_success.inc();
    if (!this.updateMembership(assignment)) this.stats.update_no_rebuild.inc();
    clearTimeout(this.fetchTimer);
    this.markInitialized();
  }
}
