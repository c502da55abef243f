/**
 * A map whose entries expire, bounded in size: past `maxEntries` the oldest entry goes.
 * Expired entries are dropped when read (and when the bound pushes them out).
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(private readonly maxEntries: number, private readonly now: () => number = Date.now) {}

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.now() >= e.until) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** keep `value` until the time `until` (ms, the clock of `now`); nothing if that is not in the future */
  set(key: string, value: V, until: number): void {
    this.entries.delete(key);
    if (until <= this.now()) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, until });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * At most `max` events per `windowMs` (a sliding window) per key: take() says whether one
 * more may start now, and counts it if so. Keys without events in the window are forgotten.
 */
export class RateWindow {
  private readonly starts = new Map<string, number[]>();

  constructor(private readonly max: number, private readonly windowMs: number, private readonly now: () => number = Date.now) {}

  take(key: string): boolean {
    const t = this.now();
    const recent = (this.starts.get(key) ?? []).filter((s) => t - s < this.windowMs);
    if (recent.length >= this.max) {
      this.starts.set(key, recent);
      return false;
    }
    recent.push(t);
    this.starts.set(key, recent);
    if (this.starts.size > 1000) this.prune(t);
    return true;
  }

  private prune(t: number): void {
    for (const [k, v] of this.starts) if (v.every((s) => t - s >= this.windowMs)) this.starts.delete(k);
  }
}
