import type { Rejection } from './errors';

/**
 * What admission asks of the limits (SPEC R4): may one more call for this business number
 * start now? A grant is held for the life of the call and released once when it ends. Two
 * kinds answer: this process's own limits (limits.ts, the default) and those of every
 * gateway instance together, in Redis (src/cluster/shared-limiter.ts).
 */
export interface CallGrant {
  /** the call ended (or never started): its share of the limits is free; idempotent */
  release(): void;
}

export type LimitDecision = CallGrant | Rejection;

export interface CallLimiter {
  /** at once when nothing needs to be asked (this process's limits), else a promise */
  acquire(businessNumber: string): LimitDecision | Promise<LimitDecision>;
}

export function isGrant(d: LimitDecision): d is CallGrant {
  return !('code' in d);
}
