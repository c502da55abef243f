import { describe, expect, it } from 'vitest';
import { digestResponse, parseDigestHeader } from '../../../src/auth/digest';
import { DigestServer } from '../../../src/auth/digest-server';

/**
 * Issue 13: several gateway instances. With cluster.secret, a nonce one instance issued is
 * good at another; without it, or for another purpose (Meta's nonces vs a PBX's), it is not.
 */
const creds = { username: '12145551869', password: 's3cret' };
const realm = 'gw.example.com';

function answer(challenge: string): string {
  const c = parseDigestHeader(challenge)!;
  const uri = 'sip:+12145551869@gw.example.com';
  const response = digestResponse({ algorithm: 'MD5', username: creds.username, realm: c.realm!, password: creds.password, method: 'INVITE', uri, nonce: c.nonce!, qop: 'auth', nc: '00000001', cnonce: 'abc' });
  return `Digest username="${creds.username}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", algorithm=MD5, cnonce="abc", qop=auth, nc=00000001`;
}

describe('digest nonces across instances', () => {
  it('a nonce issued by one instance is accepted by another with the same cluster secret', () => {
    const a = new DigestServer({ realm, ttlSeconds: 30, secret: 'shared-cluster-secret', purpose: 'meta' });
    const b = new DigestServer({ realm, ttlSeconds: 30, secret: 'shared-cluster-secret', purpose: 'meta' });
    const r = b.verify(answer(a.challenge()), 'INVITE', creds);
    expect(r.ok).toBe(true);
  });

  it('is refused by an instance with another secret, or none, and for another purpose', () => {
    const a = new DigestServer({ realm, ttlSeconds: 30, secret: 'shared-cluster-secret', purpose: 'meta' });
    const other = new DigestServer({ realm, ttlSeconds: 30, secret: 'another-secret', purpose: 'meta' });
    const none = new DigestServer({ realm, ttlSeconds: 30 });
    const pbx = new DigestServer({ realm, ttlSeconds: 30, secret: 'shared-cluster-secret', purpose: 'pbx' });
    for (const s of [other, none, pbx]) expect(s.verify(answer(a.challenge()), 'INVITE', creds)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('hands back the nonce it accepted, for the replay check all instances share', () => {
    const a = new DigestServer({ realm, ttlSeconds: 30, secret: 'shared-cluster-secret', purpose: 'meta' });
    const challenge = a.challenge();
    const r = a.verify(answer(challenge), 'INVITE', creds);
    expect(r.ok && r.nonce).toBe(parseDigestHeader(challenge)!.nonce);
  });
});
