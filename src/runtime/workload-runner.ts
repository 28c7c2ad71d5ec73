/**
 * One workload's lifecycle in the local runtime, ordered to fix what users most often get wrong
 * with sidecars:
 *  - start: the sidecar first; the app only once the sidecar is ready (admin /ready), so the app's
 *    first outbound call already goes through a configured proxy; the endpoint is registered only
 *    when the app itself is ready.
 *  - crash: the endpoint leaves the registry at once, the app restarts with exponential back-off
 *    (restartPolicy Always/OnFailure), and comes back into the registry when ready again.
 *  - stop: the endpoint leaves the registry, the app stops first, and the sidecar drains after it
 *    (so the app's last requests still have a proxy).
 *  - jobs: an app with restartPolicy Never or OnFailure that exits 0 is done; its sidecar stops with it.
 */
import type { ExitInfo, LogSink, ManagedProcess } from './managed-process.js';
import { httpReady, tcpReady, waitFor } from './readiness.js';
import type { WorkloadSpec } from './mesh-file.js';

export type WorkloadPhase = 'Pending' | 'StartingSidecar' | 'StartingApp' | 'Running' | 'CrashLoopBackOff' | 'Succeeded' | 'Failed' | 'Stopping' | 'Stopped';

export interface WorkloadHooks {
  /** The endpoint is ready to receive traffic. */
  register(workload: RunningWorkload): void;
  /** The endpoint must receive no more traffic. */
  deregister(workload: RunningWorkload): void;
  /** Creates the sidecar (or gateway) proxy process for this workload. */
  sidecar(workload: RunningWorkload): ManagedProcess;
  /** Creates the app process, told to listen on appAddress:appPorts. */
  app(workload: RunningWorkload): ManagedProcess;
  /** A phase change, for `skein get workloads` and logs. */
  phase?(workload: RunningWorkload): void;
}

export interface RunningWorkload {
  readonly spec: WorkloadSpec;
  /** The workload's own IP (its "pod IP"): sidecar listeners and admin bind here. */
  readonly address: string;
  readonly adminPort: number;
  /** Where the app listens: service port → app port, on `appAddress`. */
  readonly appAddress: string;
  readonly appPorts: ReadonlyMap<number, number>;
  phase: WorkloadPhase;
  restarts: number;
}

const READY_TIMEOUT_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;
const SIDECAR_DRAIN_GRACE_MS = 10_000;
const APP_STOP_GRACE_MS = 10_000;

export class WorkloadRunner {
  readonly state: RunningWorkload;
  private readonly hooks: WorkloadHooks;
  private readonly logs: LogSink;
  private sidecar: ManagedProcess | undefined;
  private app: ManagedProcess | undefined;
  private stopping = false;
  private registered = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();

  constructor(state: RunningWorkload, hooks: WorkloadHooks, logs: LogSink) {
    this.state = state;
    this.hooks = hooks;
    this.logs = logs;
  }

  get name(): string {
    return this.state.spec.name;
  }

  /** Resolves once the workload serves (or fails to start, reported in its phase). */
  async start(): Promise<void> {
    this.setPhase('StartingSidecar');
    const sidecar = this.hooks.sidecar(this.state);
    this.sidecar = sidecar;
    sidecar.start((info) => this.onSidecarExit(info));
    const address = this.state.address;
    // A sidecar that exits while starting (a port taken, bad flags) ends the wait at once:
    // onSidecarExit has already marked the workload Failed.
    const ready = await waitFor(async () => !sidecar.running || (await httpReady(address, this.state.adminPort, '/ready')), READY_TIMEOUT_MS, 50, this.abort.signal);
    if (this.stopping || !sidecar.running) return;
    if (!ready) {
      this.log('sidecar did not become ready in time');
      this.setPhase('Failed');
      return;
    }
    if (this.state.spec.kind === 'gateway') {
      this.setPhase('Running');
      return;
    }
    await this.startApp();
  }

  private async startApp(): Promise<void> {
    this.restartTimer = undefined;
    if (this.stopping) return;
    this.setPhase('StartingApp');
    const app = this.hooks.app(this.state);
    this.app = app;
    app.start((info) => this.onAppExit(app, info));
    // An app that exits while starting ends the wait (onAppExit schedules the restart), so a
    // crash loop does not pile up probes of earlier attempts.
    const ready = await waitFor(async () => !app.running || (await this.appReady()), READY_TIMEOUT_MS, 50, this.abort.signal);
    if (this.stopping || this.app !== app || !app.running) return;
    if (!ready) {
      this.log('app did not become ready in time; restarting it');
      await app.stop(APP_STOP_GRACE_MS);
      return;
    }
    this.registered = true;
    this.hooks.register(this.state);
    this.setPhase('Running');
  }

  private appReady(): Promise<boolean> {
    const first = this.state.spec.ports[0];
    if (!first) return Promise.resolve(true);
    const port = this.state.appPorts.get(first.port) ?? first.port;
    const path = this.state.spec.readinessPath;
    return path ? httpReady(this.state.appAddress, port, path) : tcpReady(this.state.appAddress, port);
  }

  private onAppExit(app: ManagedProcess, info: ExitInfo): void {
    if (this.app !== app) return;
    this.deregister();
    if (this.stopping) return;
    const policy = this.state.spec.restartPolicy;
    const succeeded = info.code === 0;
    if (policy === 'Never' || (policy === 'OnFailure' && succeeded)) {
      // A finished job: its sidecar has nothing left to serve.
      this.setPhase(succeeded ? 'Succeeded' : 'Failed');
      this.log(`app exited (${describe(info)}); stopping its sidecar`);
      void this.sidecar?.stop(SIDECAR_DRAIN_GRACE_MS);
      return;
    }
    this.state.restarts++;
    const backoff = Math.min(1000 * 2 ** (this.state.restarts - 1), MAX_BACKOFF_MS);
    this.log(`app exited (${describe(info)}); restarting in ${backoff} ms`);
    this.setPhase('CrashLoopBackOff');
    this.restartTimer = setTimeout(() => void this.startApp(), backoff);
  }

  private onSidecarExit(info: ExitInfo): void {
    if (this.stopping) return;
    if (this.state.phase === 'Succeeded' || this.state.phase === 'Failed') return;
    // Without its proxy the workload is unreachable: take it out and fail loudly.
    this.log(`sidecar exited unexpectedly (${describe(info)})`);
    this.deregister();
    this.setPhase('Failed');
    void this.app?.stop(APP_STOP_GRACE_MS);
  }

  /** Deregister, stop the app, then let the sidecar drain. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.abort.abort();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.setPhase('Stopping');
    this.deregister();
    await this.app?.stop(APP_STOP_GRACE_MS);
    await this.sidecar?.stop(SIDECAR_DRAIN_GRACE_MS);
    this.setPhase('Stopped');
  }

  /** Last resort when the runtime itself is dying. */
  kill(): void {
    this.app?.kill();
    this.sidecar?.kill();
  }

  private deregister(): void {
    if (!this.registered) return;
    this.registered = false;
    this.hooks.deregister(this.state);
  }

  private setPhase(phase: WorkloadPhase): void {
    this.state.phase = phase;
    this.hooks.phase?.(this.state);
  }

  private log(message: string): void {
    this.logs.line(this.name, message, 'stderr');
  }
}

function describe(info: ExitInfo): string {
  return info.signal ? `signal ${info.signal}` : `code ${info.code}`;
}
