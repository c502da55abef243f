/** The calls in progress, for limits, drain and metrics. Sessions add and remove themselves. */
export interface ActiveCall {
  readonly id: string;
  readonly direction: 'user-initiated' | 'business-initiated';
  readonly businessNumber: string;
}

export class CallRegistry {
  private readonly calls = new Map<string, ActiveCall>();
  private idleWaiters: (() => void)[] = [];

  add(call: ActiveCall): void {
    this.calls.set(call.id, call);
  }

  remove(id: string): void {
    this.calls.delete(id);
    if (this.calls.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  get size(): number {
    return this.calls.size;
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
