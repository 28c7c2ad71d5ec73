/**
 * Istio's push debounce (pilot/pkg/xds/discovery.go `debounce`): changes are merged until the
 * stream has been quiet for `afterMs` (PILOT_DEBOUNCE_AFTER, 100 ms) or the first change has
 * waited `maxMs` (PILOT_DEBOUNCE_MAX, 10 s), then one merged request is released. Endpoint-only
 * changes are debounced too (PILOT_ENABLE_EDS_DEBOUNCE defaults to true).
 */
import { performance } from 'node:perf_hooks';
import { mergePushRequests } from './push-request.js';
import type { PushRequest } from './push-request.js';

export const DEFAULT_DEBOUNCE_AFTER_MS = 100;
export const DEFAULT_DEBOUNCE_MAX_MS = 10_000;

export interface DebounceOptions {
  readonly afterMs: number;
  readonly maxMs: number;
  /** Receives the merged request, how long it was debounced (ms) and how many changes it merges. */
  readonly flush: (request: PushRequest, debouncedMs: number, events: number) => void;
}

export class Debouncer {
  constructor(options: DebounceOptions) {
    this.options = options;
  }

  private readonly options: DebounceOptions;
  private pending: PushRequest | undefined;
  private firstAt = 0;
  private lastAt = 0;
  private events = 0;
  private timer: NodeJS.Timeout | undefined;

  add(request: PushRequest): void {
    const now = performance.now();
    const stamped = request.start === undefined ? { ...request, start: now } : request;
    if (!this.pending) {
      this.pending = stamped;
      this.firstAt = now;
    } else {
      this.pending = mergePushRequests(this.pending, stamped);
    }
    this.lastAt = now;
    this.events++;
    this.timer ??= setTimeout(() => this.check(), this.options.afterMs);
  }

  /** Drops whatever is waiting. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private check(): void {
    this.timer = undefined;
    const now = performance.now();
    const waited = now - this.firstAt;
    const quiet = now - this.lastAt;
    if (waited >= this.options.maxMs || quiet >= this.options.afterMs) {
      const request = this.pending;
      const events = this.events;
      this.pending = undefined;
      this.events = 0;
      if (request) this.options.flush(request, waited, events);
      return;
    }
    this.timer = setTimeout(() => this.check(), Math.min(this.options.afterMs - quiet, this.options.maxMs - waited));
  }
}
