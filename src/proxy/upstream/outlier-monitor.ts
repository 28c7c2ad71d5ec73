/**
 * One host's passive health bookkeeping, as Envoy's DetectorHostMonitorImpl
 * (source/common/upstream/outlier_detection_impl.cc): consecutive 5xx / gateway-failure /
 * local-origin-failure counters that call the detector when they reach their threshold, and two
 * success-rate accumulators (external and local origin) swapped at every interval.
 *
 * Without split_external_local_origin_errors every event is an HTTP code (connect failure 503,
 * timeout 504, EXT_ORIGIN_REQUEST_FAILED 500, successes 200; LOCAL_ORIGIN_CONNECT_SUCCESS is
 * ignored so it cannot hide the HTTP result that follows). With it, local events feed their own
 * counter and success rate, and EXT_ORIGIN_REQUEST_FAILED counts as a 503.
 */
import type { OutlierSettings } from './outlier-config.js';
import type { OutlierMonitor, OutlierResult } from './types.js';

/** Envoy's OutlierEjectionType names. */
export type EjectionType =
  | 'CONSECUTIVE_5XX'
  | 'CONSECUTIVE_GATEWAY_FAILURE'
  | 'SUCCESS_RATE'
  | 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE'
  | 'SUCCESS_RATE_LOCAL_ORIGIN'
  | 'FAILURE_PERCENTAGE'
  | 'FAILURE_PERCENTAGE_LOCAL_ORIGIN';

export type SuccessRateOrigin = 'external' | 'local';

/** One interval's request counts; the previous interval's are what the detector reads. */
export class SuccessRateAccumulator {
  private current = { success: 0, total: 0 };
  private previous = { success: 0, total: 0 };

  record(success: boolean): void {
    this.current.total++;
    if (success) this.current.success++;
  }

  /** Starts a new interval (SuccessRateAccumulator::updateCurrentWriter). */
  swap(): void {
    this.previous = this.current;
    this.current = { success: 0, total: 0 };
  }

  /** Success rate (percent) and volume of the last complete interval, if it had any request. */
  rateAndVolume(): { rate: number; volume: number } | undefined {
    const { success, total } = this.previous;
    if (total === 0) return undefined;
    return { rate: (success * 100) / total, volume: total };
  }
}

/** What a host monitor asks of its detector. */
export interface ConsecutiveErrorSink {
  readonly settings: OutlierSettings;
  onConsecutiveError(monitor: HostOutlierMonitor, type: EjectionType): void;
}

function is5xx(status: number): boolean {
  return status >= 500 && status < 600;
}

/** 502, 503 and 504 (Http::CodeUtility::isGatewayError). */
function isGatewayError(status: number): boolean {
  return status >= 502 && status <= 504;
}

/** DetectorHostMonitorImpl::resultToHttpCode; undefined means "not reported". */
function resultToHttpCode(result: OutlierResult): number | undefined {
  switch (result) {
    case 'EXT_ORIGIN_REQUEST_SUCCESS':
    case 'LOCAL_ORIGIN_CONNECT_SUCCESS_FINAL':
      return 200;
    case 'LOCAL_ORIGIN_TIMEOUT':
      return 504;
    case 'LOCAL_ORIGIN_CONNECT_FAILED':
      return 503;
    case 'EXT_ORIGIN_REQUEST_FAILED':
      return 500;
    case 'LOCAL_ORIGIN_CONNECT_SUCCESS':
      return undefined;
  }
}

export class HostOutlierMonitor implements OutlierMonitor {
  consecutive5xx = 0;
  consecutiveGatewayFailure = 0;
  consecutiveLocalOriginFailure = 0;
  readonly externalOrigin = new SuccessRateAccumulator();
  readonly localOrigin = new SuccessRateAccumulator();
  /** Last computed success rates for admin, -1 when not computed this interval. */
  externalSuccessRate = -1;
  localSuccessRate = -1;
  /** Ejections since the host joined (for admin and logs). */
  numEjections = 0;
  /** Multiplier of base_ejection_time; grows per ejection, shrinks per healthy interval. */
  ejectTimeBackoff = 0;
  lastEjectionTime: number | undefined;
  lastUnejectionTime: number | undefined;
  jitterMs = 0;
  /** Cleared when the host leaves the cluster or the detector is destroyed: puts are ignored. */
  private sink: ConsecutiveErrorSink | undefined;

  constructor(sink: ConsecutiveErrorSink) {
    this.sink = sink;
  }

  detach(): void {
    this.sink = undefined;
  }

  putHttpResponseCode(status: number): void {
    const sink = this.sink;
    if (!sink) return;
    if (is5xx(status)) {
      this.externalOrigin.record(false);
      if (isGatewayError(status)) {
        if (++this.consecutiveGatewayFailure === sink.settings.consecutiveGatewayFailure)
          sink.onConsecutiveError(this, 'CONSECUTIVE_GATEWAY_FAILURE');
      } else {
        this.consecutiveGatewayFailure = 0;
      }
      // A threshold of 0 is never reached: the detector is off.
      if (++this.consecutive5xx === sink.settings.consecutive5xx)
        sink.onConsecutiveError(this, 'CONSECUTIVE_5XX');
    } else {
      this.externalOrigin.record(true);
      this.consecutive5xx = 0;
      this.consecutiveGatewayFailure = 0;
    }
  }

  putResult(result: OutlierResult, status?: number): void {
    const sink = this.sink;
    if (!sink) return;
    if (!sink.settings.splitExternalLocalOriginErrors) {
      const code = status ?? resultToHttpCode(result);
      if (code !== undefined) this.putHttpResponseCode(code);
      return;
    }
    switch (result) {
      case 'LOCAL_ORIGIN_CONNECT_SUCCESS':
      case 'LOCAL_ORIGIN_CONNECT_SUCCESS_FINAL':
        this.localOriginNoFailure();
        return;
      case 'LOCAL_ORIGIN_TIMEOUT':
      case 'LOCAL_ORIGIN_CONNECT_FAILED':
        this.localOriginFailure(sink);
        return;
      case 'EXT_ORIGIN_REQUEST_FAILED':
        this.putHttpResponseCode(503);
        return;
      case 'EXT_ORIGIN_REQUEST_SUCCESS':
        this.putHttpResponseCode(200);
        this.localOriginNoFailure();
        return;
    }
  }

  putResponseTime(): void {
    // Envoy's detectors do not use response times either (putResponseTime is a no-op there).
  }

  /** Starts a new success-rate interval for both origins. */
  swapSuccessRateBuckets(): void {
    this.externalOrigin.swap();
    this.localOrigin.swap();
  }

  accumulator(origin: SuccessRateOrigin): SuccessRateAccumulator {
    return origin === 'external' ? this.externalOrigin : this.localOrigin;
  }

  setSuccessRate(origin: SuccessRateOrigin, rate: number): void {
    if (origin === 'external') this.externalSuccessRate = rate;
    else this.localSuccessRate = rate;
  }

  resetConsecutive(): void {
    this.consecutive5xx = 0;
    this.consecutiveGatewayFailure = 0;
    this.consecutiveLocalOriginFailure = 0;
  }

  private localOriginFailure(sink: ConsecutiveErrorSink): void {
    this.localOrigin.record(false);
    if (++this.consecutiveLocalOriginFailure === sink.settings.consecutiveLocalOriginFailure)
      sink.onConsecutiveError(this, 'CONSECUTIVE_LOCAL_ORIGIN_FAILURE');
  }

  private localOriginNoFailure(): void {
    this.localOrigin.record(true);
    this.consecutiveLocalOriginFailure = 0;
  }
}
