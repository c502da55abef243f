import type { Rejection } from './errors';

/**
 * The digest nonce that authenticated an admitted INVITE, checked once more by the INVITE
 * router against the nonces every gateway instance has used (src/cluster/shared-nonces.ts).
 */
export interface NonceProof {
  nonce: string;
  /** the answer if another instance took it already: a fresh challenge, as for a replay seen here */
  replayed: Rejection;
}
