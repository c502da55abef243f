import Redis from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Reachability } from '../../src/cluster/reachability';
import { RedisLimitsStore } from '../../src/cluster/redis-limits-store';
import { SharedNonces } from '../../src/cluster/shared-nonces';
import { reject } from '../../src/sip/errors';
import { findRedis, REDIS_BED, RedisServer } from '../support/redis';
import { until } from './harness';

/**
 * The Lua scripts of the shared limits (src/cluster/redis-limits-store.ts) and the shared
 * nonce check on a real redis-server: two instances' counts add up, a lease that is not
 * refreshed lets its calls go, CPS is a one-second window, a rebuild writes the exact count.
 */
const bin = findRedis();
if (!bin) process.stdout.write('SKIPPED: cluster-redis tests: redis-server not found (REDIS_BIN, PATH, /usr/bin)\n');
const N = '+12145551869';
const limits = (per: number, cps = 0, calls = 0) => ({ max_calls: calls, max_calls_per_number: per, max_cps: cps });

describe.skipIf(!bin)('shared limits in Redis', () => {
  let server: RedisServer;
  let redis: Redis;
  let prefix: string;
  let n = 0;
  const id = () => `id-${++n}`;
  beforeAll(async () => {
    server = await RedisServer.start(bin!, REDIS_BED.port + 1);
    redis = new Redis({ host: REDIS_BED.host, port: server.port, lazyConnect: true });
    await redis.connect();
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.kill();
  });
  let t = 0;
  const fresh = () => `{wagw-test-${++t}}`;

  it('counts both instances against max_calls_per_number, and releases', async () => {
    prefix = fresh();
    const a = new RedisLimitsStore(redis, prefix, 'a', 10_000);
    const b = new RedisLimitsStore(redis, prefix, 'b', 10_000);
    expect((await a.acquire({ number: N, limits: limits(3), confirmed: 0, id: id() })).outcome).toBe('ok');
    expect((await b.acquire({ number: N, limits: limits(3), confirmed: 0, id: id() })).outcome).toBe('ok');
    expect((await a.acquire({ number: N, limits: limits(3), confirmed: 1, id: id() })).outcome).toBe('ok');
    expect(await b.acquire({ number: N, limits: limits(3), confirmed: 1, id: id() })).toEqual({ outcome: 'number', count: 3 });
    expect((await a.acquire({ number: '+19998887777', limits: limits(3), confirmed: 2, id: id() })).outcome).toBe('ok');
    expect(await a.totals()).toEqual({ total: 4, byNumber: { [N]: 3, '+19998887777': 1 } });
    expect((await b.acquire({ number: N, limits: limits(3, 0, 4), confirmed: 1, id: id() })).outcome).toBe('calls');
    await a.release(N);
    await a.release(N);
    await b.release(N);
    await a.release('+19998887777');
    expect(await a.totals()).toEqual({ total: 0, byNumber: {} });
  });

  it("a lease not refreshed lets the dead instance's calls go; one refreshed keeps them", async () => {
    prefix = fresh();
    const dead = new RedisLimitsStore(redis, prefix, 'dead', 600);
    const alive = new RedisLimitsStore(redis, prefix, 'alive', 600);
    await dead.acquire({ number: N, limits: limits(2), confirmed: 0, id: id() });
    await alive.acquire({ number: N, limits: limits(2), confirmed: 0, id: id() });
    expect((await alive.acquire({ number: N, limits: limits(2), confirmed: 1, id: id() })).outcome).toBe('number');
    const started = Date.now();
    const refresh = setInterval(() => void alive.sync(new Map([[N, 1]]), false), 150);
    try {
      await until(async () => (await alive.totals()).total === 1, 3000, 'the dead instance\'s call stops counting');
    } finally {
      clearInterval(refresh);
    }
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await alive.acquire({ number: N, limits: limits(2), confirmed: 1, id: id() })).outcome).toBe('ok');
  });

  it('a missing hash with calls here is "stale"; a rebuild writes the exact count over anything', async () => {
    prefix = fresh();
    const a = new RedisLimitsStore(redis, prefix, 'a', 10_000);
    expect((await a.acquire({ number: N, limits: limits(5), confirmed: 3, id: id() })).outcome).toBe('stale');
    expect(await a.sync(new Map([[N, 3], ['+19998887777', 1]]), false)).toBe('rebuilt');
    expect(await a.totals()).toEqual({ total: 4, byNumber: { [N]: 3, '+19998887777': 1 } });
    expect(await a.sync(new Map([[N, 1]]), false)).toBe('kept');
    expect(await a.sync(new Map([[N, 1]]), true)).toBe('rebuilt');
    expect(await a.totals()).toEqual({ total: 1, byNumber: { [N]: 1 } });
  });

  it('max_cps: a sliding one-second window on Redis\' clock, for all instances', async () => {
    prefix = fresh();
    const a = new RedisLimitsStore(redis, prefix, 'a', 10_000);
    const b = new RedisLimitsStore(redis, prefix, 'b', 10_000);
    const first = Date.now();
    const outcomes = [];
    for (const s of [a, b, a]) outcomes.push((await s.acquire({ number: N, limits: limits(0, 2), confirmed: 0, id: id() })).outcome);
    expect(outcomes).toEqual(['ok', 'ok', 'cps']);
    await until(async () => (await b.acquire({ number: N, limits: limits(0, 2), confirmed: 0, id: id() })).outcome === 'ok', 3000, 'room in the window again');
    expect(Date.now() - first).toBeGreaterThanOrEqual(900);
  });

  it('a nonce is good once across instances, and refused with the fresh challenge after', async () => {
    prefix = fresh();
    const r = new Reachability(false, pino({ level: 'silent' }), () => undefined);
    const one = new SharedNonces(redis, prefix, r);
    const two = new SharedNonces(redis, prefix, r);
    const proof = { nonce: 'abc.def.0123', replayed: reject('AUTH_CHALLENGE_PROXY', 'replayed', { 'Proxy-Authenticate': 'Digest realm="x"' }) };
    expect(await one.claim(proof, 30_000)).toBeNull();
    expect(await two.claim(proof, 30_000)).toBe(proof.replayed);
    // kept only as long as the nonce could be valid, under a hash of it
    const keys = await redis.keys(`${prefix}:nonce:*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(proof.nonce);
    const ttl = await redis.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });
});
