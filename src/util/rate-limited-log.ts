import type { Logger } from './logger';

/**
 * Log lines that a flood could multiply (a refused INVITE, a scanner's OPTIONS), limited to
 * at most one line per (source address, reason) per interval. The first event of a key is
 * logged at once; the ones after it in the same interval are only counted, and the next
 * line for that key (the next event after the interval, or a summary line when the
 * interval ends) carries `suppressed`: how many were left out since the line before.
 *
 * Memory is bounded: past `maxKeys` keys, new sources share one key per reason (source
 * `*`), so a sweep from many (spoofed) addresses costs a fixed amount. A key idle for a
 * whole interval is forgotten. The cost per event is one Map lookup.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface RateLimitedLogOptions {
  intervalMs: number;
  maxKeys: number;
}

interface Entry {
  source: string;
  reason: string;
  level: LogLevel;
  msg: string;
  /** when the next line for this key may go out */
  nextAt: number;
  suppressed: number;
}

export const OVERFLOW_SOURCE = '*';

export class RateLimitedLog {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly log: Logger, private readonly opts: RateLimitedLogOptions) {}

  /**
   * Log `msg` (with `fields`, `source` and `reason`) at `level` through `via` (a child logger
   * with the request's ids; else the base logger), unless a line for (source, reason) went
   * out less than an interval ago.
   */
  note(level: LogLevel, source: string, reason: string, fields: Record<string, unknown>, msg: string, via: Logger = this.log): void {
    const now = Date.now();
    let key = `${source}\u0000${reason}`;
    let entry = this.entries.get(key);
    if (!entry && this.entries.size >= this.opts.maxKeys) {
      source = OVERFLOW_SOURCE;
      key = `${source}\u0000${reason}`;
      entry = this.entries.get(key);
    }
    if (entry && now < entry.nextAt) {
      entry.suppressed += 1;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    via[level]({ ...fields, source, reason, ...(suppressed ? { suppressed } : {}) }, msg);
    if (entry) {
      entry.nextAt = now + this.opts.intervalMs;
      entry.suppressed = 0;
    } else {
      this.entries.set(key, { source, reason, level, msg, nextAt: now + this.opts.intervalMs, suppressed: 0 });
      this.startTimer();
    }
  }

  /**
   * end the intervals that are over (with `all`, every interval): a summary line for each
   * with suppressed events; idle keys are forgotten
   */
  flush(all = false): void {
    const now = Date.now();
    for (const [key, e] of this.entries) {
      if (now < e.nextAt && !all) continue;
      if (e.suppressed === 0) {
        this.entries.delete(key);
        continue;
      }
      this.log[e.level]({ source: e.source, reason: e.reason, suppressed: e.suppressed, intervalMs: this.opts.intervalMs }, `${e.msg} (more suppressed)`);
      e.suppressed = 0;
      e.nextAt = now + this.opts.intervalMs;
    }
    if (this.entries.size === 0) this.stopTimer();
  }

  /** keys currently tracked (for tests and the memory bound) */
  get size(): number {
    return this.entries.size;
  }

  /** report what is still suppressed, then forget everything */
  close(): void {
    this.flush(true);
    this.stopTimer();
    this.entries.clear();
  }

  private startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flush(), this.opts.intervalMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
