import type { GatewayConfig, LimitsConfig } from '../config/types';
import type { CallLimits } from '../sip/limits';
import type { Logger } from '../util/logger';
import { Reachability, type SharedState as What, type UnreachableOutcome } from './reachability';
import { RedisConnection } from './redis-connection';
import { RedisLimitsStore } from './redis-limits-store';
import { SharedLimiter } from './shared-limiter';
import { SharedNonces } from './shared-nonces';

/**
 * What several gateway instances share through Redis (issue 13; SPEC R4): the limits of
 * all of them together and the digest nonces any of them has used. Built once by the
 * composition root when `redis.host` is set, kept across reloads (only the limits change).
 */
export interface SharedState {
  readonly limiter: SharedLimiter;
  readonly nonces: SharedNonces;
  readonly store: RedisLimitsStore;
  /** the limits after a (re)load, and this process's own limits for fail-open */
  configure(limits: LimitsConfig, own: CallLimits): void;
  /** Redis answers (both uses) */
  up(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createSharedState(cfg: GatewayConfig, own: CallLimits, log: Logger, count: (what: What, outcome: UnreachableOutcome) => void): SharedState | null {
  const r = cfg.redis;
  if (!r.host) return null;
  const slog = log.child({ instance: cfg.cluster.instance_id });
  const conn = new RedisConnection(r, slog);
  const reachability = new Reachability(r.on_unreachable === 'fail-open', slog, count);
  const leaseMs = r.lease_seconds * 1000;
  const store = new RedisLimitsStore(conn.client, conn.prefix, cfg.cluster.instance_id, leaseMs);
  let limits = cfg.limits;
  let fallback = own;
  const limiter = new SharedLimiter({ backend: store, limits: () => limits, fallback: () => fallback, reachability, leaseMs, log: slog });
  const nonces = new SharedNonces(conn.client, conn.prefix, reachability);
  conn.onReady(() => {
    reachability.reconnected();
    limiter.reconnected();
  });
  return {
    limiter,
    nonces,
    store,
    configure(l, o) {
      limits = l;
      fallback = o;
    },
    up: () => conn.ready && reachability.up,
    async start() {
      await conn.connect();
      limiter.start();
    },
    async stop() {
      limiter.stop();
      await conn.close();
    },
  };
}
