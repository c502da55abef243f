/**
 * Drift-corrected packet clock: frame n is due at start + n * period, and each
 * timeout is scheduled against that absolute time, so timer lateness never
 * accumulates (unlike chained setInterval). If the event loop stalls, at most
 * `maxBurst` late frames are emitted at once and the rest are reported as skipped.
 */
export class FrameClock {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private startAt = 0;
  private ticks = 0;

  /**
   * @param onFrame called once per due frame; return false to stop the clock
   * @param onSkip called with the number of frames dropped after a stall
   */
  constructor(
    private readonly periodMs: number,
    private readonly onFrame: () => boolean,
    private readonly onSkip: (frames: number) => void = () => undefined,
    private readonly maxBurst = 5,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts ticking now (first frame immediately); no-op while running. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startAt = performance.now();
    this.ticks = 0;
    this.tick();
  }

  /**
   * Sends nothing for `ms`, then the frames that fell due meanwhile at once (at most
   * `maxBurst`, the rest skipped): the late burst of a sender that stalled, on purpose.
   */
  hold(ms: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), ms);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private tick(): void {
    this.timer = null;
    let due = Math.floor((performance.now() - this.startAt) / this.periodMs) + 1 - this.ticks;
    if (due > this.maxBurst) {
      this.onSkip(due - this.maxBurst);
      this.ticks += due - this.maxBurst;
      due = this.maxBurst;
    }
    for (; due > 0; due--) {
      this.ticks++;
      if (!this.running || !this.onFrame()) {
        this.running = false;
        return;
      }
    }
    const next = this.startAt + this.ticks * this.periodMs;
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - performance.now()));
  }
}
