/**
 * LDS over ADS, state of the world: a listener missing from a response is removed. Every
 * listener of the response is compiled before any is applied; an unchanged listener is left
 * alone (its connections keep running, its version stays the one that last changed it).
 * Listeners waiting for RDS warm (see ListenerManager); RDS requests are held while a response
 * is applied so that the route names of all new listeners go out in one request, as Envoy does.
 */
import type { Listener__Output } from '../../xds/generated/envoy/config/listener/v3/Listener.js';
import type { ListenerManager, PreparedListener } from '../listener/listener-manager.js';
import { UpdateFailures } from './resource-status.js';
import type { DecodedResource, ResourceError, XdsWatch } from './sotw-mux.js';

export class LdsWatch implements XdsWatch<Listener__Output> {
  readonly failures = new UpdateFailures<Listener__Output>();
  private readonly listeners: ListenerManager;
  private readonly pauseRds: () => () => void;

  constructor(listeners: ListenerManager, pauseRds: () => () => void) {
    this.listeners = listeners;
    this.pauseRds = pauseRds;
  }

  resourceNames(): undefined {
    return undefined;
  }

  async onConfigUpdate(resources: readonly DecodedResource<Listener__Output>[], versionInfo: string): Promise<ResourceError[]> {
    const resumeRds = this.pauseRds();
    try {
      return await this.apply(resources, versionInfo);
    } finally {
      resumeRds();
    }
  }

  private async apply(resources: readonly DecodedResource<Listener__Output>[], versionInfo: string): Promise<ResourceError[]> {
    const errors: ResourceError[] = [];
    const prepared: PreparedListener[] = [];
    for (const { name, resource } of resources) {
      const meta = this.listeners.meta(name);
      if (meta && !meta.addedViaApi) {
        errors.push({ path: ['name'], resourceName: name, message: `listener '${name}' is a static listener and cannot be updated via LDS` });
        continue;
      }
      if (this.listeners.isCurrent(resource)) continue;
      const result = this.listeners.prepare(resource, []);
      if (result.ok) prepared.push(result.prepared);
      else errors.push(...result.errors.map((e) => ({ ...e, resourceName: name })));
    }
    if (errors.length > 0) {
      for (const listener of prepared) listener.discard();
      this.failures.record(resources, errors, versionInfo);
      return errors;
    }
    const meta = { addedViaApi: true, versionInfo, lastUpdated: new Date().toISOString() };
    for (const listener of prepared) {
      const result = await this.listeners.commit(listener, meta);
      // Binding is the one failure compiling cannot foresee (the address is taken).
      if (!result.ok) errors.push(...result.errors.map((e) => ({ ...e, resourceName: listener.config.name })));
      else this.failures.clear(listener.config.name);
    }
    const names = new Set(resources.map((r) => r.name));
    for (const state of this.listeners.states()) {
      if (names.has(state.name) || !this.listeners.meta(state.name)?.addedViaApi) continue;
      this.listeners.remove(state.name);
      this.failures.clear(state.name);
    }
    // A listener the management server stopped sending no longer has a failed update.
    for (const [name] of [...this.failures.entries()]) if (!names.has(name)) this.failures.clear(name);
    if (errors.length > 0) this.failures.record(resources, errors, versionInfo);
    return errors;
  }
}
