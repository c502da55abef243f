import { randomUUID } from 'node:crypto';
import type { LimitsConfig } from '../config/types';
import { reject, type Rejection } from '../sip/errors';
import type { Logger } from '../util/logger';
import type { CallGrant, CallLimiter, LimitDecision } from '../sip/call-limiter';
import type { LimitsBackend } from './redis-limits-store';
import type { Reachability } from './reachability';

export interface SharedLimiterDeps {
  backend: LimitsBackend;
  /** the limits in force (they change on reload) */
  limits: () => LimitsConfig;
  /** fail open: the in-process limits decide while Redis cannot */
  fallback: () => { check(businessNumber: string): Rejection | null };
  reachability: Reachability;
  leaseMs: number;
  log: Logger;
}

/**
 * The limits of all gateway instances together (SPEC R4), kept in Redis
 * (redis-limits-store.ts). This instance knows its own calls exactly; Redis holds every
 * instance's count under a lease this instance refreshes every third of the lease. Whenever
 * a write to Redis may have been lost (an error, a timeout, a reconnect, a call admitted
 * while Redis was away), the next refresh writes this instance's exact count over Redis'
 * copy, so the shared counters match the live calls again within a third of the lease.
 *
 * A call being admitted counts locally from before its acquire is sent until it is refused,
 * so a rebuild sent meanwhile (same connection, so it runs after the acquire) includes it:
 * the shared count errs high, never low, and the next refresh makes it exact again.
 */
export class SharedLimiter implements CallLimiter {
  private readonly counts = new Map<string, number>();
  /** calls Redis has confirmed (or that were admitted while it was away) */
  private confirmed = 0;
  private dirty = true;
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | null = null;

  constructor(private readonly deps: SharedLimiterDeps) {}

  /** refresh the lease every third of it; `resync()` also runs when Redis (re)connects */
  start(): void {
    this.timer = setInterval(() => void this.resync(), Math.max(100, Math.floor(this.deps.leaseMs / 3)));
    void this.resync();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Redis came back (or restarted empty): write our exact count now */
  reconnected(): void {
    this.dirty = true;
    void this.resync();
  }

  /** this instance's calls by business number, as it knows them */
  local(): ReadonlyMap<string, number> {
    return this.counts;
  }

  async acquire(businessNumber: string): Promise<LimitDecision> {
    this.add(businessNumber, 1);
    const gen = this.generation;
    let outcome: string;
    try {
      outcome = await this.ask(businessNumber);
      if (outcome === 'stale') {
        // Redis lost our count (restart, or our lease ran out): put it back without this
        // call, which Redis has not counted, then ask again
        this.add(businessNumber, -1);
        this.dirty = true;
        try {
          await this.resync();
          if (this.dirty) await this.resync(); // the one that ran was an ordinary refresh
        } finally {
          this.add(businessNumber, 1);
        }
        outcome = await this.ask(businessNumber);
        if (outcome === 'stale') throw new Error('Redis lost this instance\'s calls again');
      }
    } catch (err) {
      return this.unreachable(businessNumber, err as Error);
    }
    this.deps.reachability.ok('limits');
    // a rebuild went out while this call was pending: it may be counted once too often (or,
    // refused, once when it is not): the next refresh writes the exact count
    if (gen !== this.generation) this.dirty = true;
    if (outcome === 'ok') return this.grant(businessNumber, true);
    this.add(businessNumber, -1);
    const l = this.deps.limits();
    if (outcome === 'calls') return reject('LIMIT_CALLS', `max_calls ${l.max_calls} reached across all instances`);
    if (outcome === 'cps') return reject('LIMIT_CPS', `more than ${l.max_cps} new calls this second across all instances`);
    return reject('LIMIT_NUMBER', `${businessNumber} has ${l.max_calls_per_number} calls across all instances (max_calls_per_number)`);
  }

  private ask(number: string): Promise<string> {
    return this.deps.backend.acquire({ number, limits: this.deps.limits(), confirmed: this.confirmed, id: randomUUID() }).then((r) => r.outcome);
  }

  private unreachable(businessNumber: string, err: Error): LimitDecision {
    this.dirty = true;
    const r = this.deps.reachability;
    if (r.failOpen) {
      const over = this.deps.fallback().check(businessNumber);
      r.failed('limits', over ? 'refused' : 'admitted', err);
      if (!over) return this.grant(businessNumber, false);
      this.add(businessNumber, -1);
      return over;
    }
    r.failed('limits', 'refused', err);
    this.add(businessNumber, -1);
    return reject('SHARED_STATE_UNAVAILABLE', `limits store unreachable (${err.message}); redis.on_unreachable is fail-closed`);
  }

  private grant(number: string, counted: boolean): CallGrant {
    this.confirmed++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.confirmed--;
        this.add(number, -1);
        // admitted while Redis was away: whether Redis counts it depends on whether a rebuild
        // has run since; the next refresh writes the exact count either way
        if (!counted) {
          this.dirty = true;
          return;
        }
        this.deps.backend.release(number).catch(() => {
          this.dirty = true;
        });
      },
    };
  }

  private add(number: string, d: number): void {
    const n = (this.counts.get(number) ?? 0) + d;
    if (n > 0) this.counts.set(number, n);
    else this.counts.delete(number);
  }

  /** one refresh at a time; a forced one when a write may have been lost */
  resync(): Promise<void> {
    this.syncing ??= this.syncOnce().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const force = this.dirty;
    this.dirty = false;
    if (force) this.generation++;
    try {
      const done = await this.deps.backend.sync(new Map(this.counts), force);
      this.deps.reachability.ok('limits');
      if (done === 'rebuilt' && !force && this.confirmed > 0) this.deps.log.info({ calls: this.confirmed }, 'shared limits: Redis had lost our calls; counted again');
    } catch (err) {
      this.dirty = true;
      this.deps.reachability.failed('limits', null, err as Error);
    }
  }
}
