// Turns any number of wake-ups (notifications, reconnects, timers) into at most one pending
// "look again" for the single drain loop: a wake-up that arrives while the loop is draining is
// remembered, not lost, and a burst of them costs one extra drain, not one per notification.

/** What woke the loop: a commit's notification, a listener or broker (re)connect, or shutdown. */
export type WakeCause = 'notify' | 'listener_connected' | 'broker_ready' | 'stop';

export class WakeSignal {
  /** The first cause since the loop last looked; undefined when none is pending. */
  private pending: WakeCause | undefined;
  private resolveWaiter: ((cause: WakeCause) => void) | undefined;

  wake(cause: WakeCause): void {
    this.pending ??= cause;
    this.resolveWaiter?.(this.pending);
  }

  /** Resolves with the cause of the next wake-up (at once if one is pending), or 'timeout' after timeoutMs. */
  wait(timeoutMs: number): Promise<WakeCause | 'timeout'> {
    const pending = this.pending;
    if (pending) {
      this.pending = undefined;
      return Promise.resolve(pending);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => done('timeout'), Math.max(0, timeoutMs));
      const self = this;
      function done(cause: WakeCause | 'timeout'): void {
        clearTimeout(timer);
        self.resolveWaiter = undefined;
        self.pending = undefined;
        resolve(cause);
      }
      this.resolveWaiter = done;
    });
  }
}
