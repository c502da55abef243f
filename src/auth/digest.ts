import { createHash } from 'node:crypto';

/**
 * RFC 7616 / RFC 8760 digest arithmetic, MD5 and SHA-256, qop=auth. Pure functions:
 * the server side (challenge / verify) and the client side (answer a challenge) both
 * build on these.
 */

export type DigestAlgorithm = 'MD5' | 'SHA-256';

export interface DigestParams {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  qop?: 'auth';
  nc?: string;
  cnonce?: string;
}

const HASHES: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

export function parseAlgorithm(value: string | undefined): DigestAlgorithm | null {
  const v = (value ?? 'MD5').toUpperCase();
  return v === 'MD5' || v === 'SHA-256' ? v : null;
}

function h(alg: DigestAlgorithm, text: string): string {
  return createHash(HASHES[alg]).update(text).digest('hex');
}

export function digestResponse(p: DigestParams): string {
  const ha1 = h(p.algorithm, `${p.username}:${p.realm}:${p.password}`);
  const ha2 = h(p.algorithm, `${p.method}:${p.uri}`);
  if (p.qop === 'auth') return h(p.algorithm, `${ha1}:${p.nonce}:${p.nc ?? ''}:${p.cnonce ?? ''}:auth:${ha2}`);
  return h(p.algorithm, `${ha1}:${p.nonce}:${ha2}`);
}

/** Parse `Digest a="b", c=d` into lower-cased keys. Returns null if it is not a Digest header. */
export function parseDigestHeader(header: string | undefined): Record<string, string> | null {
  if (!header) return null;
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m?.[1]) return null;
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  let part: RegExpExecArray | null;
  while ((part = re.exec(m[1])) !== null) {
    const key = part[1];
    if (key) out[key.toLowerCase()] = part[2] !== undefined ? part[2].replace(/\\(.)/g, '$1') : (part[3] ?? '');
  }
  return out;
}
