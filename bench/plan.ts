/**
 * How long and how often each measurement runs. Full mode is sized to finish in about
 * 10–12 minutes on the 2-core machine; quick mode is for developing the harness.
 */
import { PAYLOAD_0B, PAYLOAD_1KB, type Payload } from './workload.js';

export interface WrkCase {
  payload: Payload;
  connections: number;
  /** 1 for the plain one-hop proxy; more for a daisy chain inside the one worker. */
  hops: number;
}

export interface Plan {
  mode: 'quick' | 'full';
  repetitions: number;
  /** Discarded burst after each start (JIT, allocators, connection setup). */
  falseStartSeconds: number;
  wrkSeconds: number;
  wrkCases: WrkCase[];
  chainCase: WrkCase;
  fixedRate: number;
  fixedPayload: Payload;
  fixedConnections: number;
  fixedWarmupSeconds: number;
  fixedSeconds: number;
  maxOutstanding: number;
  /** Seconds per load-generator validation run. */
  validationSeconds: number;
  clusterScaleRepetitions: number;
}

const WRK_CASES: WrkCase[] = [
  { payload: PAYLOAD_1KB, connections: 16, hops: 1 },
  { payload: PAYLOAD_1KB, connections: 64, hops: 1 },
  { payload: PAYLOAD_0B, connections: 64, hops: 1 },
];

/**
 * On this machine the load side (wrk + origin on core 0) tops out near a one-hop nginx's
 * capacity, so topology T's 2× check fails; §6.2 then prescribes chaining the proxy N times
 * on core 1 to magnify its cost. Measured for the proxies only.
 */
export const CHAIN_CASE: WrkCase = { payload: PAYLOAD_1KB, connections: 64, hops: 4 };

const COMMON = {
  wrkCases: WRK_CASES,
  chainCase: CHAIN_CASE,
  fixedRate: 1000,
  fixedPayload: PAYLOAD_1KB,
  fixedConnections: 4,
  maxOutstanding: 1000,
};

export function makePlan(quick: boolean): Plan {
  if (quick) {
    return {
      ...COMMON,
      mode: 'quick',
      repetitions: 1,
      falseStartSeconds: 1,
      wrkSeconds: 5,
      fixedWarmupSeconds: 1,
      fixedSeconds: 5,
      validationSeconds: 3,
      clusterScaleRepetitions: 1,
    };
  }
  return {
    ...COMMON,
    mode: 'full',
    repetitions: 3,
    falseStartSeconds: 2,
    wrkSeconds: 6,
    fixedWarmupSeconds: 3,
    fixedSeconds: 20,
    validationSeconds: 5,
    clusterScaleRepetitions: 2,
  };
}
