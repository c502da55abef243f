/**
 * SDES (RFC 4568) key helpers for the SRTP leg: generate inline keys, build and
 * parse `a=crypto` lines, and build the matching werift SRTP session. Only
 * AES_CM_128_HMAC_SHA1_80 is used by the tests.
 */
import { randomBytes } from 'node:crypto';
import { ProtectionProfileAes128CmHmacSha1_80, SrtpSession } from 'werift-rtp';

export const SDES_SUITE = 'AES_CM_128_HMAC_SHA1_80';
const MASTER_KEY_LEN = 16;
const MASTER_SALT_LEN = 14;

export interface SdesCrypto {
  tag: number;
  suite: string;
  /** base64 key material only (any `|lifetime|MKI` suffix removed) */
  keyB64: string;
}

/** 30 random bytes (16-byte master key + 14-byte master salt), base64. */
export function newSdesKey(): string {
  return randomBytes(MASTER_KEY_LEN + MASTER_SALT_LEN).toString('base64');
}

/** Attribute value without the `a=` prefix: `crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<key>`. */
export function cryptoAttribute(tag: number, keyB64: string): string {
  return `crypto:${tag} ${SDES_SUITE} inline:${keyB64}`;
}

/** Full SDP line: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<key>`. */
export function cryptoLine(tag: number, keyB64: string): string {
  return `a=${cryptoAttribute(tag, keyB64)}`;
}

/** The first `a=crypto:` line of an SDP, or null when there is none. */
export function parseCrypto(sdp: string): SdesCrypto | null {
  const m = /^a=crypto:(\d+)[ \t]+(\S+)[ \t]+inline:([^|\s]+)/m.exec(sdp);
  if (!m) return null;
  return { tag: Number(m[1]), suite: m[2]!, keyB64: m[3]! };
}

/** Splits an inline key into master key and salt; throws unless it is 30 bytes. */
export function splitSdesKey(keyB64: string): { key: Buffer; salt: Buffer } {
  const raw = Buffer.from(keyB64, 'base64');
  if (raw.length !== MASTER_KEY_LEN + MASTER_SALT_LEN) {
    throw new Error(`SDES key must be ${MASTER_KEY_LEN + MASTER_SALT_LEN} bytes, got ${raw.length}`);
  }
  return { key: raw.subarray(0, MASTER_KEY_LEN), salt: raw.subarray(MASTER_KEY_LEN) };
}

/**
 * werift SRTP session (AES_CM_128_HMAC_SHA1_80): `encrypt` protects with the
 * local key, `decrypt` authenticates and decrypts with the remote key.
 */
export function srtpSession(localKeyB64: string, remoteKeyB64 = localKeyB64): SrtpSession {
  const local = splitSdesKey(localKeyB64);
  const remote = splitSdesKey(remoteKeyB64);
  return new SrtpSession({
    keys: {
      localMasterKey: local.key,
      localMasterSalt: local.salt,
      remoteMasterKey: remote.key,
      remoteMasterSalt: remote.salt,
    },
    profile: ProtectionProfileAes128CmHmacSha1_80, // 0x0001
  });
}
