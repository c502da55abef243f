import type { LimitsConfig } from '../config/types';
import type { RedisLike } from './redis-connection';

/**
 * The shared counters in Redis (SPEC R4), one Lua script per step so each is atomic across
 * every gateway instance. Keys, under the configured prefix (one `{hash tag}`, so a Redis
 * Cluster keeps them in one slot):
 *   <p>:instances        SET of instance ids that hold calls
 *   <p>:calls:<id>       HASH per instance: business number → its calls, `#total` → all of
 *                        them; expires `lease` ms after the owner last refreshed it, so the
 *                        calls of an instance that died stop counting within the lease
 *   <p>:cps              ZSET of admitted calls' times (Redis' clock), the last second kept
 * The scripts are sent as EVAL each time, never EVALSHA: a Redis restarted without its script
 * cache would make ioredis resend after NOSCRIPT, out of order with later commands, and the
 * counters rely on the order of one connection (shared-limiter.ts).
 */

export type AcquireOutcome = 'ok' | 'calls' | 'number' | 'cps' | 'stale';

export interface AcquireRequest {
  number: string;
  limits: LimitsConfig;
  /** this instance's calls already counted: a missing hash with calls here means Redis lost it */
  confirmed: number;
  /** unique per attempt (a member of the CPS window) */
  id: string;
}

export interface LimitsBackend {
  acquire(req: AcquireRequest): Promise<{ outcome: AcquireOutcome; count: number }>;
  release(number: string): Promise<void>;
  /** refresh this instance's lease; write `counts` over what Redis holds when `force` or when Redis lost it */
  sync(counts: ReadonlyMap<string, number>, force: boolean): Promise<'kept' | 'rebuilt'>;
  /** what Redis counts now, all instances together (for operators and tests) */
  totals(): Promise<{ total: number; byNumber: Record<string, number> }>;
}

const TOTAL = '#total';

const ACQUIRE = `
local p, me, number = ARGV[1], ARGV[2], ARGV[3]
local maxCalls, maxPer, maxCps = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local leaseMs, confirmed, id = tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
local mine = p .. ':calls:' .. me
if confirmed > 0 and redis.call('EXISTS', mine) == 0 then return {'stale', 0} end
local total, forNumber = 0, 0
for _, inst in ipairs(redis.call('SMEMBERS', p .. ':instances')) do
  local key = p .. ':calls:' .. inst
  if redis.call('EXISTS', key) == 0 then
    redis.call('SREM', p .. ':instances', inst)
  else
    local v = redis.call('HMGET', key, '${TOTAL}', number)
    total = total + (tonumber(v[1]) or 0)
    forNumber = forNumber + (tonumber(v[2]) or 0)
  end
end
if maxCalls > 0 and total >= maxCalls then return {'calls', total} end
if maxPer > 0 and forNumber >= maxPer then return {'number', forNumber} end
if maxCps > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local cps = p .. ':cps'
  redis.call('ZREMRANGEBYSCORE', cps, '-inf', now - 1000)
  local n = redis.call('ZCARD', cps)
  if n >= maxCps then return {'cps', n} end
  redis.call('ZADD', cps, now, id)
  redis.call('PEXPIRE', cps, 2000)
end
redis.call('HINCRBY', mine, '${TOTAL}', 1)
redis.call('HINCRBY', mine, number, 1)
redis.call('PEXPIRE', mine, leaseMs)
redis.call('SADD', p .. ':instances', me)
return {'ok', forNumber + 1}
`;

const RELEASE = `
local mine = ARGV[1] .. ':calls:' .. ARGV[2]
if redis.call('EXISTS', mine) == 0 then return 0 end
if redis.call('HINCRBY', mine, ARGV[3], -1) <= 0 then redis.call('HDEL', mine, ARGV[3]) end
if redis.call('HINCRBY', mine, '${TOTAL}', -1) <= 0 then redis.call('DEL', mine) end
return 1
`;

const SYNC = `
local p, me, leaseMs, force = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local mine = p .. ':calls:' .. me
if force == '0' and redis.call('PEXPIRE', mine, leaseMs) == 1 then
  redis.call('SADD', p .. ':instances', me)
  return 'kept'
end
redis.call('DEL', mine)
if #ARGV > 4 then
  for i = 5, #ARGV, 2 do redis.call('HSET', mine, ARGV[i], ARGV[i + 1]) end
  redis.call('PEXPIRE', mine, leaseMs)
  redis.call('SADD', p .. ':instances', me)
end
return 'rebuilt'
`;

const TOTALS = `
local out = {}
for _, inst in ipairs(redis.call('SMEMBERS', ARGV[1] .. ':instances')) do
  local h = redis.call('HGETALL', ARGV[1] .. ':calls:' .. inst)
  for i = 1, #h, 2 do out[#out + 1] = h[i]; out[#out + 1] = h[i + 1] end
end
return out
`;

export class RedisLimitsStore implements LimitsBackend {
  constructor(private readonly redis: RedisLike, private readonly prefix: string, private readonly instance: string, private readonly leaseMs: number) {}

  async acquire(r: AcquireRequest): Promise<{ outcome: AcquireOutcome; count: number }> {
    const l = r.limits;
    const [outcome, count] = (await this.redis.eval(ACQUIRE, 0, this.prefix, this.instance, r.number,
      l.max_calls, l.max_calls_per_number, l.max_cps, this.leaseMs, r.confirmed, r.id)) as [AcquireOutcome, number];
    return { outcome, count: Number(count) };
  }

  async release(number: string): Promise<void> {
    await this.redis.eval(RELEASE, 0, this.prefix, this.instance, number);
  }

  async sync(counts: ReadonlyMap<string, number>, force: boolean): Promise<'kept' | 'rebuilt'> {
    let total = 0;
    const fields: (string | number)[] = [];
    for (const [n, c] of counts) {
      if (c <= 0) continue;
      fields.push(n, c);
      total += c;
    }
    if (total > 0) fields.push(TOTAL, total);
    return (await this.redis.eval(SYNC, 0, this.prefix, this.instance, this.leaseMs, force ? '1' : '0', ...fields)) as 'kept' | 'rebuilt';
  }

  async totals(): Promise<{ total: number; byNumber: Record<string, number> }> {
    const flat = (await this.redis.eval(TOTALS, 0, this.prefix)) as string[];
    const byNumber: Record<string, number> = {};
    let total = 0;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const [field, value] = [flat[i]!, Number(flat[i + 1])];
      if (field === TOTAL) total += value;
      else byNumber[field] = (byNumber[field] ?? 0) + value;
    }
    return { total, byNumber };
  }
}
