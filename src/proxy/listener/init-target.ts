/**
 * Envoy's init targets, as listeners use them: a filter that needs something before it can
 * serve (an HCM waiting for its RDS route configuration) registers a target, and the listener
 * stays warming, not accepting connections, until every target is ready.
 */
export interface InitTarget {
  readonly isReady: boolean;
  readonly whenReady: Promise<void>;
}

/** A target that becomes ready once, when `ready()` is called. */
export class OneShotInitTarget implements InitTarget {
  isReady = false;
  readonly whenReady: Promise<void>;
  private resolve!: () => void;

  constructor() {
    this.whenReady = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  ready(): void {
    if (this.isReady) return;
    this.isReady = true;
    this.resolve();
  }
}
