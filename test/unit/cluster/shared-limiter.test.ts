import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { LimitsConfig } from '../../../src/config/types';
import { Reachability } from '../../../src/cluster/reachability';
import type { AcquireRequest, LimitsBackend } from '../../../src/cluster/redis-limits-store';
import { SharedLimiter } from '../../../src/cluster/shared-limiter';
import { isGrant, type CallGrant, type LimitDecision } from '../../../src/sip/call-limiter';
import { reject } from '../../../src/sip/errors';

/**
 * The shared limiter's own rules, on a fake Redis: the per-number count of all instances,
 * fail-open and fail-closed while Redis is away (logged once, counted per call), and the
 * exact count written back afterwards. The Lua scripts themselves run against a real
 * redis-server in test/integration/cluster-redis.test.ts.
 */
class FakeRedis implements LimitsBackend {
  /** what the other instances hold, by number */
  others = new Map<string, number>();
  mine = new Map<string, number>();
  down = false;
  lost = false;
  syncs: { counts: Map<string, number>; force: boolean }[] = [];

  async acquire(r: AcquireRequest) {
    if (this.down) throw new Error('Connection is closed.');
    if (r.confirmed > 0 && this.lost) return { outcome: 'stale' as const, count: 0 };
    const n = (this.others.get(r.number) ?? 0) + (this.mine.get(r.number) ?? 0);
    if (r.limits.max_calls_per_number && n >= r.limits.max_calls_per_number) return { outcome: 'number' as const, count: n };
    this.mine.set(r.number, (this.mine.get(r.number) ?? 0) + 1);
    return { outcome: 'ok' as const, count: n + 1 };
  }

  async release(number: string) {
    if (this.down) throw new Error('Connection is closed.');
    this.mine.set(number, (this.mine.get(number) ?? 0) - 1);
  }

  async sync(counts: ReadonlyMap<string, number>, force: boolean) {
    if (this.down) throw new Error('Connection is closed.');
    this.syncs.push({ counts: new Map(counts), force });
    if (!force && !this.lost) return 'kept' as const;
    this.mine = new Map(counts);
    this.lost = false;
    return 'rebuilt' as const;
  }

  async totals() {
    return { total: 0, byNumber: {} };
  }
}

const LIMITS: LimitsConfig = { max_calls: 0, max_calls_per_number: 3, max_cps: 0 };
const N = '+12145551869';

function bed(failOpen: boolean, ownLimit = 3) {
  const redis = new FakeRedis();
  const counted: string[] = [];
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  const reachability = new Reachability(failOpen, log, (what, outcome) => counted.push(`${what}:${outcome}`));
  let own = 0;
  const fallback = { check: () => (own >= ownLimit ? reject('LIMIT_NUMBER', 'own') : (own++, null)) };
  const limiter = new SharedLimiter({ backend: redis, limits: () => LIMITS, fallback: () => fallback, reachability, leaseMs: 15_000, log });
  return { redis, limiter, counted, lines };
}

async function grant(d: Promise<LimitDecision> | LimitDecision): Promise<CallGrant> {
  const r = await d;
  if (!isGrant(r)) throw new Error(`refused: ${r.code}`);
  return r;
}

describe('shared limiter', () => {
  it('counts the other instances\' calls: with 2 elsewhere, the second call here is the fourth and gets LIMIT_NUMBER', async () => {
    const { redis, limiter } = bed(true);
    redis.others.set(N, 2);
    await grant(limiter.acquire(N));
    const fourth = await limiter.acquire(N);
    expect(isGrant(fourth) ? 'granted' : fourth.code).toBe('LIMIT_NUMBER');
    expect(limiter.local().get(N)).toBe(1);
  });

  it('a released grant frees its share once, however often it is released', async () => {
    const { redis, limiter } = bed(true);
    const g = await grant(limiter.acquire(N));
    g.release();
    g.release();
    await Promise.resolve();
    expect(redis.mine.get(N)).toBe(0);
    expect(limiter.local().get(N)).toBeUndefined();
  });

  it('fail-closed: Redis unreachable refuses with 503 SHARED_STATE_UNAVAILABLE, logged once, counted per call', async () => {
    const { redis, limiter, counted, lines } = bed(false);
    redis.down = true;
    const a = await limiter.acquire(N);
    const b = await limiter.acquire(N);
    expect([a, b].map((d) => (isGrant(d) ? 'granted' : d.code))).toEqual(['SHARED_STATE_UNAVAILABLE', 'SHARED_STATE_UNAVAILABLE']);
    expect(counted).toEqual(['limits:refused', 'limits:refused']);
    expect(lines.filter((l) => l.includes('Redis unreachable'))).toHaveLength(1);
    expect(limiter.local().get(N)).toBeUndefined();
  });

  it('fail-open: Redis unreachable lets calls on within this instance\'s own limits; once back, our exact count is written over Redis\'s', async () => {
    const { redis, limiter, counted } = bed(true, 2);
    redis.down = true;
    const g1 = await grant(limiter.acquire(N));
    await grant(limiter.acquire(N));
    const third = await limiter.acquire(N);
    expect(isGrant(third) ? 'granted' : third.code).toBe('LIMIT_NUMBER');
    expect(counted).toEqual(['limits:admitted', 'limits:admitted', 'limits:refused']);
    g1.release(); // ended while Redis was away
    redis.down = false;
    redis.mine.set(N, 7); // whatever Redis holds for us now is wrong
    limiter.reconnected();
    await limiter.resync();
    expect(redis.syncs.at(-1)).toEqual({ counts: new Map([[N, 1]]), force: true });
    expect(redis.mine.get(N)).toBe(1);
  });

  it('a call admitted while Redis was away and released after Redis counted it again: the next refresh takes it off', async () => {
    const { redis, limiter } = bed(true);
    await limiter.resync();
    redis.down = true;
    const g = await grant(limiter.acquire(N));
    redis.down = false;
    limiter.reconnected();
    await limiter.resync();
    expect(redis.mine.get(N)).toBe(1);
    g.release();
    await limiter.resync();
    expect(redis.mine.get(N) ?? 0).toBe(0);
  });

  it('Redis lost our calls (restarted empty): the acquire puts them back first, then counts the new one', async () => {
    const { redis, limiter } = bed(true);
    await grant(limiter.acquire(N));
    await limiter.resync();
    redis.mine.clear();
    redis.lost = true;
    await grant(limiter.acquire(N));
    expect(redis.mine.get(N)).toBe(2);
  });

  it('a refresh is a plain lease renewal unless a write may have been lost', async () => {
    const { redis, limiter } = bed(true);
    await limiter.resync(); // the first one after start writes our count
    await grant(limiter.acquire(N));
    await limiter.resync();
    expect(redis.syncs.map((s) => s.force)).toEqual([true, false]);
  });
});
