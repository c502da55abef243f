import { createHash } from 'node:crypto';
import { reject, type Rejection } from '../sip/errors';
import type { NonceProof } from '../sip/nonce-proof';
import type { Reachability } from './reachability';
import type { RedisLike } from './redis-connection';

/** what the INVITE router asks before a call starts: has any instance accepted this nonce before? */
export interface NonceClaims {
  /** null: first use, go on; else the refusal (a fresh challenge for a replay, 503 when fail-closed) */
  claim(proof: NonceProof, ttlMs: number): Promise<Rejection | null>;
}

/** one instance alone: DigestServer's own map already refuses a replay */
export const LOCAL_NONCES: NonceClaims = { claim: () => Promise.resolve(null) };

/**
 * Used nonces shared by every gateway instance: a nonce that authenticated one request
 * anywhere is refused everywhere (`SET <p>:nonce:<sha256> NX PX ttl`, so it is kept only as
 * long as it could be valid). With Redis unreachable, fail-open lets the call on (this
 * instance's own map still refuses a replay to it), fail-closed refuses it.
 */
export class SharedNonces implements NonceClaims {
  constructor(private readonly redis: RedisLike, private readonly prefix: string, private readonly reachability: Reachability) {}

  async claim(proof: NonceProof, ttlMs: number): Promise<Rejection | null> {
    const key = `${this.prefix}:nonce:${createHash('sha256').update(proof.nonce).digest('hex').slice(0, 32)}`;
    let first: boolean;
    try {
      first = (await this.redis.set(key, '1', 'PX', Math.max(1, ttlMs), 'NX')) === 'OK';
    } catch (err) {
      const open = this.reachability.failOpen;
      this.reachability.failed('nonces', open ? 'admitted' : 'refused', err as Error);
      return open ? null : reject('SHARED_STATE_UNAVAILABLE', `nonce store unreachable (${(err as Error).message}); redis.on_unreachable is fail-closed`);
    }
    this.reachability.ok('nonces');
    return first ? null : proof.replayed;
  }
}
