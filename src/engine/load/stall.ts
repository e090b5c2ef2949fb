// A stall watchdog for one stream of a parallel load. Unlike a plain copy's, it knows when its stream
// waits on purpose (a reader held back by the full spool, a writer waiting for a reader's bytes): that
// time is not the network stalling, so it does not count.

/** How often the watchdog looks (a short stall timeout is looked at four times as often). */
const CHECK_MS = 1000;

export class Stall {
  stalled = false;
  private last = Date.now();
  private readonly timer: NodeJS.Timeout;

  /** `idle()`: the stream waits on purpose now. `onStall` ends the stream (a socket destroyed). */
  constructor(
    timeoutMs: number,
    private readonly idle: () => boolean,
    onStall: () => void,
  ) {
    this.timer = setInterval(
      () => {
        if (this.idle()) this.last = Date.now();
        if (this.stalled || Date.now() - this.last < timeoutMs) return;
        this.stalled = true;
        onStall();
      },
      Math.min(CHECK_MS, timeoutMs / 4),
    );
    this.timer.unref();
  }

  moved(): void {
    this.last = Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
