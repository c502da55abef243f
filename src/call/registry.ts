/** The calls in progress, for limits, drain, metrics and media-server loss. Sessions add and remove themselves. */
export interface ActiveCall {
  readonly id: string;
  readonly direction: 'user-initiated' | 'business-initiated';
  readonly businessNumber: string;
  /** the media server the call is anchored on, once chosen */
  mediaServer(): string | null;
  end(by: 'gateway', cause: string): Promise<void>;
}

export class CallRegistry {
  private readonly calls = new Map<string, ActiveCall>();
  private idleWaiters: (() => void)[] = [];
  private readonly removeHooks = new Map<string, () => void>();

  add(call: ActiveCall): void {
    this.calls.set(call.id, call);
  }

  remove(id: string): void {
    this.calls.delete(id);
    const hook = this.removeHooks.get(id);
    this.removeHooks.delete(id);
    hook?.();
    if (this.calls.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** run `fn` once when the call `id` leaves the registry (at once if it is not in it) */
  whenRemoved(id: string, fn: () => void): void {
    if (!this.calls.has(id)) {
      fn();
      return;
    }
    this.removeHooks.set(id, fn);
  }

  get size(): number {
    return this.calls.size;
  }

  all(): ActiveCall[] {
    return [...this.calls.values()];
  }

  countFor(businessNumber: string): number {
    let n = 0;
    for (const c of this.calls.values()) if (c.businessNumber === businessNumber) n++;
    return n;
  }

  /** resolves when no call is left */
  idle(): Promise<void> {
    return this.calls.size === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
