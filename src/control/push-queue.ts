/**
 * Istio's push queue (pilot/pkg/xds/pushqueue.go) with its throttle (PILOT_PUSH_THROTTLE, 100
 * concurrent pushes): each connection has at most one pending push, and a newer request merges
 * into it; a connection being pushed that is enqueued again is pushed once more when it is done.
 */
import { performance } from 'node:perf_hooks';
import { mergePushRequests } from './push-request.js';
import type { PushRequest } from './push-request.js';

export const DEFAULT_PUSH_THROTTLE = 100;

export interface PushQueueOptions<C> {
  readonly throttle: number;
  readonly push: (connection: C, request: PushRequest) => Promise<void>;
  /** How long (ms) a connection waited in the queue before its push started. */
  readonly dequeued?: (waitedMs: number) => void;
}

export class PushQueue<C> {
  constructor(options: PushQueueOptions<C>) {
    this.options = options;
  }

  private readonly options: PushQueueOptions<C>;
  private readonly pending = new Map<C, { request: PushRequest; since: number }>();
  private readonly processing = new Set<C>();
  private queue: C[] = [];
  private head = 0;
  private inFlight = 0;

  enqueue(connection: C, request: PushRequest): void {
    const waiting = this.pending.get(connection);
    if (waiting) {
      waiting.request = mergePushRequests(waiting.request, request);
      return;
    }
    this.pending.set(connection, { request, since: performance.now() });
    // Being pushed right now: it goes back in the queue when that push is done.
    if (this.processing.has(connection)) return;
    this.queue.push(connection);
    this.pump();
  }

  /** Forgets a connection that closed. */
  remove(connection: C): void {
    this.pending.delete(connection);
  }

  /** Connections waiting for a push. */
  get size(): number {
    return this.pending.size;
  }

  /** Pushes running now. */
  get active(): number {
    return this.inFlight;
  }

  private pump(): void {
    while (this.inFlight < this.options.throttle && this.head < this.queue.length) {
      const connection = this.queue[this.head++]!;
      const waiting = this.pending.get(connection);
      // Removed while queued, or a duplicate entry of one being pushed (done() re-queues it).
      if (!waiting || this.processing.has(connection)) continue;
      this.pending.delete(connection);
      this.processing.add(connection);
      this.inFlight++;
      this.options.dequeued?.(performance.now() - waiting.since);
      void this.options.push(connection, waiting.request).finally(() => this.done(connection));
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
  }

  private done(connection: C): void {
    this.inFlight--;
    this.processing.delete(connection);
    if (this.pending.has(connection)) this.queue.push(connection);
    this.pump();
  }
}
