import { describe, expect, it } from 'vitest';
import { digestResponse, parseDigestHeader } from '../../../src/auth/digest';
import { DigestServer } from '../../../src/auth/digest-server';

// RFC 7616 §3.9.1 worked example
const rfc = {
  username: 'Mufasa', password: 'Circle of Life', realm: 'http-auth@example.org', method: 'GET', uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ', nc: '00000001', qop: 'auth' as const,
};

describe('digest arithmetic', () => {
  it('matches RFC 7616 for MD5 and SHA-256', () => {
    expect(digestResponse({ ...rfc, algorithm: 'MD5' })).toBe('8ca523f5e9506fed4657c9700eebdbec');
    expect(digestResponse({ ...rfc, algorithm: 'SHA-256' })).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it("parses Meta's Proxy-Authenticate", () => {
    const d = parseDigestHeader('Digest realm="wa.meta.vc",nonce="419ac2415577f8e1",opaque="440badfc05072367",algorithm=MD5,qop="auth"');
    expect(d).toEqual({ realm: 'wa.meta.vc', nonce: '419ac2415577f8e1', opaque: '440badfc05072367', algorithm: 'MD5', qop: 'auth' });
    expect(parseDigestHeader('Basic abc')).toBeNull();
  });
});

describe('DigestServer', () => {
  let clock = 1_700_000_000_000;
  const server = new DigestServer({ realm: 'gw.example.com', ttlSeconds: 30, now: () => clock });
  const creds = { username: '12145551869', password: 's3cret' };

  function answer(challenge: string, o: { password?: string; uri?: string; username?: string; algorithm?: 'MD5' | 'SHA-256' } = {}): string {
    const c = parseDigestHeader(challenge)!;
    const algorithm = o.algorithm ?? 'MD5';
    const uri = o.uri ?? 'sip:+12145551869@gw.example.com';
    const username = o.username ?? creds.username;
    const response = digestResponse({ algorithm, username, realm: c.realm!, password: o.password ?? creds.password, method: 'INVITE', uri, nonce: c.nonce!, qop: 'auth', nc: '00000001', cnonce: 'abc' });
    return `Digest username="${username}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, cnonce="abc", opaque="${c.opaque}", qop=auth, nc=00000001`;
  }

  it('accepts the right password against the uri as sent (no ;transport=tls), MD5 and SHA-256', () => {
    const challenge = server.challenge();
    expect(server.verify(answer(challenge), 'INVITE', creds)).toEqual({ ok: true, username: creds.username, nonce: parseDigestHeader(challenge)!.nonce });
    expect(server.verify(answer(server.challenge(), { algorithm: 'SHA-256' }), 'INVITE', creds).ok).toBe(true);
  });

  it('refuses a wrong password, a wrong user, a foreign nonce and a missing header', () => {
    expect(server.verify(answer(server.challenge(), { password: 'nope' }), 'INVITE', creds)).toEqual({ ok: false, reason: 'bad-response' });
    expect(server.verify(answer(server.challenge(), { username: '999' }), 'INVITE', creds)).toEqual({ ok: false, reason: 'wrong-user' });
    const foreign = answer('Digest realm="gw.example.com", nonce="abc.def.0123456789abcdef0123456789abcdef", opaque="x"');
    expect(server.verify(foreign, 'INVITE', creds)).toEqual({ ok: false, reason: 'malformed' });
    expect(server.verify(undefined, 'INVITE', creds)).toEqual({ ok: false, reason: 'missing' });
  });

  it('lets a nonce authenticate once, and not after it expires', () => {
    const h = answer(server.challenge());
    expect(server.verify(h, 'INVITE', creds).ok).toBe(true);
    expect(server.verify(h, 'INVITE', creds)).toEqual({ ok: false, reason: 'replayed' });
    const late = answer(server.challenge());
    clock += 31_000;
    expect(server.verify(late, 'INVITE', creds)).toEqual({ ok: false, reason: 'stale' });
  });
});
