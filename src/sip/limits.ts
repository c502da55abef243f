import type { LimitsConfig } from '../config/types';
import type { CallRegistry } from '../call/registry';
import type { CallGrant, CallLimiter, LimitDecision } from './call-limiter';
import { reject, type Rejection } from './errors';

/** a grant with nothing to give back: these limits count the registry's calls */
const REGISTRY_COUNTED: CallGrant = { release: () => undefined };

/**
 * Admission limits (SPEC R4): concurrent calls in all and per business number, and new
 * calls per second (a one-second window). Excess gets 503 before any media exists.
 */
export class CallLimits implements CallLimiter {
  private windowStart = 0;
  private inWindow = 0;

  constructor(private readonly limits: LimitsConfig, private readonly registry: CallRegistry, private readonly now: () => number = Date.now) {}

  /** the default, without Redis: answered at once, and the session joins the registry in the same turn */
  acquire(businessNumber: string): LimitDecision {
    return this.check(businessNumber) ?? REGISTRY_COUNTED;
  }

  check(businessNumber: string): Rejection | null {
    const l = this.limits;
    if (l.max_calls && this.registry.size >= l.max_calls) return reject('LIMIT_CALLS', `${this.registry.size} calls active (max_calls ${l.max_calls})`);
    if (l.max_calls_per_number && this.registry.countFor(businessNumber) >= l.max_calls_per_number) {
      return reject('LIMIT_NUMBER', `${businessNumber} has ${l.max_calls_per_number} calls (max_calls_per_number)`);
    }
    if (l.max_cps) {
      const t = this.now();
      if (t - this.windowStart >= 1000) {
        this.windowStart = t;
        this.inWindow = 0;
      }
      if (this.inWindow >= l.max_cps) return reject('LIMIT_CPS', `more than ${l.max_cps} new calls this second`);
      this.inWindow += 1;
    }
    return null;
  }
}
