import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { digestResponse, parseAlgorithm, parseDigestHeader, type DigestAlgorithm } from './digest';

/**
 * Challenging a peer (Meta, or a PBX) and verifying its answer. Nonces are HMAC-signed,
 * carry their issue time, expire after `ttlSeconds`, and are single-use: a nonce that
 * already authenticated one request is refused (replay). The key is this process's own, or,
 * with `secret` (cluster.secret, the same on every gateway instance), derived from it and
 * `purpose`, so a nonce one instance issued is good at every other; the replay check across
 * instances is the INVITE router's (src/cluster/shared-nonces.ts, with the nonce verify returns).
 */

export type VerifyResult =
  | { ok: true; username: string; nonce: string }
  | { ok: false; reason: 'missing' | 'stale' | 'replayed' | 'malformed' | 'wrong-realm' | 'wrong-user' | 'bad-response' };

export interface Credentials {
  username: string;
  password: string;
}

export interface DigestServerOptions {
  realm: string;
  ttlSeconds: number;
  algorithm?: DigestAlgorithm;
  now?: () => number;
  /** shared by every gateway instance (cluster.secret); without it, a random key of this process */
  secret?: string;
  /** what the nonces are for ('meta', 'pbx'): a nonce of one is never good for the other */
  purpose?: string;
}

export class DigestServer {
  private readonly key: Buffer;
  private readonly used = new Map<string, number>();
  private readonly now: () => number;

  constructor(private opts: DigestServerOptions) {
    this.now = opts.now ?? Date.now;
    this.key = opts.secret
      ? createHmac('sha256', opts.secret).update(`wa-sip-gateway digest nonce: ${opts.purpose ?? 'default'}`).digest()
      : randomBytes(32);
  }

  /** new realm / lifetime (a reload); nonces already issued stay valid */
  configure(o: { realm: string; ttlSeconds: number }): void {
    this.opts = { ...this.opts, ...o };
  }

  /** header value for WWW-Authenticate / Proxy-Authenticate */
  challenge(stale = false): string {
    const issued = this.now().toString(36);
    const rand = randomBytes(8).toString('hex');
    const nonce = `${issued}.${rand}.${this.sign(`${issued}.${rand}`)}`;
    const opaque = randomBytes(8).toString('hex');
    const alg = this.opts.algorithm ?? 'MD5';
    return `Digest realm="${this.opts.realm}", nonce="${nonce}", opaque="${opaque}", algorithm=${alg}, qop="auth"${stale ? ', stale=true' : ''}`;
  }

  /**
   * Verify an Authorization / Proxy-Authorization header for `method`. The digest is
   * checked against the `uri` the peer sent (RFC 7616 §3.4), not a rebuilt Request-URI:
   * Meta's `uri=` omits the `;transport=tls` of its Request-URI.
   */
  verify(header: string | undefined, method: string, expected: Credentials): VerifyResult {
    const d = parseDigestHeader(header);
    if (!d) return { ok: false, reason: 'missing' };
    const { username, realm, nonce, uri, response } = d;
    const algorithm = parseAlgorithm(d.algorithm);
    if (!username || !realm || !nonce || !uri || !response || !algorithm) return { ok: false, reason: 'malformed' };
    if (realm !== this.opts.realm) return { ok: false, reason: 'wrong-realm' };
    const age = this.nonceAge(nonce);
    if (age === null) return { ok: false, reason: 'malformed' };
    if (age > this.opts.ttlSeconds * 1000) return { ok: false, reason: 'stale' };
    if (this.used.has(nonce)) return { ok: false, reason: 'replayed' };
    if (username !== expected.username) return { ok: false, reason: 'wrong-user' };
    const qop = d.qop === 'auth' ? 'auth' : undefined;
    if (d.qop && !qop) return { ok: false, reason: 'malformed' };
    const want = digestResponse({
      algorithm, username, realm, password: expected.password, method, uri, nonce, qop, nc: d.nc, cnonce: d.cnonce,
    });
    if (!safeEqual(want, response.toLowerCase())) return { ok: false, reason: 'bad-response' };
    this.markUsed(nonce);
    return { ok: true, username, nonce };
  }

  private sign(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('hex').slice(0, 32);
  }

  /** ms since the nonce was issued, or null if we did not issue it */
  private nonceAge(nonce: string): number | null {
    const [issued, rand, mac] = nonce.split('.');
    if (!issued || !rand || !mac || !safeEqual(mac, this.sign(`${issued}.${rand}`))) return null;
    const at = parseInt(issued, 36);
    return Number.isFinite(at) ? this.now() - at : null;
  }

  private markUsed(nonce: string): void {
    const now = this.now();
    const ttl = this.opts.ttlSeconds * 1000;
    for (const [n, at] of this.used) {
      if (now - at <= ttl) break; // insertion order = age order
      this.used.delete(n);
    }
    this.used.set(nonce, now);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
