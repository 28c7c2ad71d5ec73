/** The data of a control-plane benchmark run: what cp-report.ts renders and the raw JSON holds. */
import type { MachineFacts } from './machine.js';
import type { Isolation } from './cp-mesh.js';

export type XdsProtocol = 'sotw' | 'delta';

/** One measurement: one proxy count, one protocol, in its own process. */
export interface RunConfig {
  readonly services: number;
  readonly namespaces: number;
  readonly isolation: Isolation;
  readonly proxies: number;
  readonly protocol: XdsProtocol;
  readonly changes: number;
  readonly clientProcesses: number;
  /** `--max-old-space-size` of the control-plane process, MiB. */
  readonly heapMb: number;
}

export interface BytesWindow {
  /** Mean gRPC message bytes per proxy that received anything in the window. */
  readonly perReceivingProxy: number;
  readonly receivingProxies: number;
  /** Totals over all proxies, by type. */
  readonly byType: { readonly cds: number; readonly eds: number; readonly lds: number; readonly rds: number };
  readonly responses: number;
}

export interface PhaseCost {
  /** Wall time from the phase's start (the change, or `go`) to the last proxy's ACK at the server. */
  readonly wallMs: number;
  /** CPU seconds of the control-plane process (process.cpuUsage, user + system). */
  readonly cpuSeconds: number;
  /** Time inside translation (`ControlPlane.generate`), summed over every call. */
  readonly generateMs: number;
  /** Time inside the resource encoder (validation + protobuf encoding + content cache), summed. */
  readonly encodeMs: number;
  /** CPU seconds of the simulated-proxy processes, summed. */
  readonly clientCpuSeconds: number;
  readonly bytes: BytesWindow;
}

export interface ChangeSample extends PhaseCost {
  /** Proxies that were sent something (and ACKed it). */
  readonly pushed: number;
  /** Change → debounce entry: the store/registry update and the control plane's snapshot rebuild. */
  readonly snapshotMs: number;
  /** Debounce entry → push released to the queue. */
  readonly debounceMs: number;
  /** Push released → last ACK at the server. */
  readonly pushToLastAckMs: number;
  /** Change → ACK arriving at the server, per pushed proxy. */
  readonly convergenceMs: readonly number[];
}

export interface MemoryFigures {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface WorkerResult {
  readonly config: RunConfig;
  readonly setup: {
    readonly parseMs: number;
    readonly configResources: number;
    readonly registryMs: number;
    readonly workloads: number;
    readonly proxiesPerNamespace: Readonly<Record<string, number>>;
  };
  /** Mean resources held per proxy after the initial sync. */
  readonly resourcesPerProxy: { readonly cds: number; readonly eds: number; readonly lds: number; readonly rds: number };
  readonly initial: PhaseCost & { readonly memoryAfterGc: MemoryFigures };
  readonly endpoint: readonly ChangeSample[];
  readonly configChange: readonly ChangeSample[];
  /** VmHWM of the control-plane process over the whole run (includes setup). */
  readonly peakRss: number;
  readonly clientRss: readonly number[];
  readonly nacks: number;
  readonly internalErrors: number;
  readonly streamErrors: number;
}

export interface RunOutcome {
  readonly config: RunConfig;
  readonly result?: WorkerResult;
  readonly error?: string;
  /** CPU used by other work on the machine during the run, in cores. */
  readonly foreignLoad: number;
  readonly wallSeconds: number;
}

export interface ControlPlaneBenchRun {
  readonly startedAt: string;
  readonly wallSeconds: number;
  readonly command: string;
  readonly machine: MachineFacts;
  readonly runs: readonly RunOutcome[];
}
