// Turns any number of wake-ups (notifications, reconnects, timers) into at most one pending
// "look again" for the single drain loop: a wake-up that arrives while the loop is draining is
// remembered, not lost, and a burst of them costs one extra drain, not one per notification.

export class WakeSignal {
  private pending = false;
  private resolveWaiter: (() => void) | undefined;

  wake(): void {
    this.pending = true;
    this.resolveWaiter?.();
  }

  /** Resolves at the next wake-up (at once if one is pending) or after timeoutMs. */
  wait(timeoutMs: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.resolveWaiter = undefined;
        self.pending = false;
        resolve();
      }
      this.resolveWaiter = done;
    });
  }
}
