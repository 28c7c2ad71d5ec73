/** STATIC: hosts are the `load_assignment` endpoints, as given; initialized at once. */
import { ClusterBase } from './cluster-base.js';

export class StaticCluster extends ClusterBase {
  start(): void {
    this.updateMembership(this.settings.loadAssignment);
    this.markInitialized();
  }
}
