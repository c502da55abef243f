import type { SipMessage } from './message';

/** Messages received on a connection, each awaitable once: already here, or still to come. */

export interface Arrived {
  msg: SipMessage;
  at: number;
}

type Pred = (m: SipMessage) => boolean;

export class Inbox {
  private readonly kept: Arrived[] = [];
  private waiters: { pred: Pred; done: (m: Arrived | null) => void }[] = [];
  private closed = false;

  push(msg: SipMessage): void {
    const r = { msg, at: Date.now() };
    const w = this.waiters.find((x) => x.pred(msg));
    if (w) w.done(r);
    else this.kept.push(r);
  }

  /** the first message matching `pred`, or null at the timeout or once closed */
  next(pred: Pred, timeoutMs: number): Promise<Arrived | null> {
    const i = this.kept.findIndex((r) => pred(r.msg));
    if (i >= 0) return Promise.resolve(this.kept.splice(i, 1)[0]!);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(null), timeoutMs);
      const finish = (r: Arrived | null) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w.done !== finish);
        resolve(r);
      };
      this.waiters.push({ pred, done: finish });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.waiters]) w.done(null);
  }
}
