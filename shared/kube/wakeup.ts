// When the leader's loop runs its next pass: soon after a change (debounced, so that a burst of changes is one
// pass), or when the resync interval is up, whichever comes first.
export class Wakeup {
  private due = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  /** A pass in `delayMs`, unless one is already due by then. */
  soon(delayMs: number): void {
    if (this.timer || this.due) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due = true;
      this.wake?.();
    }, delayMs);
  }

  /** Resolves when a pass is due: after a change, after `resyncMs`, or when `signal` aborts (at once if it has). */
  async next(resyncMs: number, signal: AbortSignal): Promise<void> {
    if (!this.due && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(resync);
          signal.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        const resync = setTimeout(done, resyncMs);
        signal.addEventListener('abort', done);
        this.wake = done;
      });
    }
    this.due = false;
  }
}
