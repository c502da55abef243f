import { describe, expect, it } from 'vitest';
import { answerChallenge, splitChallenges } from '../../../src/auth/digest-client';
import { DigestServer } from '../../../src/auth/digest-server';
import { parseDigestHeader } from '../../../src/auth/digest';

describe('answering a digest challenge', () => {
  const uri = 'sip:+12195550714@wa.meta.vc;transport=tls';

  it.each(['MD5', 'SHA-256'] as const)('produces a %s answer our own server verifies, opaque echoed', (algorithm) => {
    const server = new DigestServer({ realm: 'wa.meta.vc', ttlSeconds: 30, algorithm });
    const challenge = server.challenge();
    const a = answerChallenge(407, challenge, { username: '12145551869', password: 'pw', method: 'INVITE', uri, nc: 1 });
    if (typeof a === 'string') throw new Error(a);
    expect(a.header).toBe('Proxy-Authorization');
    const d = parseDigestHeader(a.value)!;
    expect(d).toMatchObject({ algorithm, qop: 'auth', nc: '00000001', uri, opaque: parseDigestHeader(challenge)!.opaque });
    expect(server.verify(a.value, 'INVITE', { username: '12145551869', password: 'pw' }).ok).toBe(true);
    expect(server.verify(answerChallenge(407, server.challenge(), { username: '12145551869', password: 'bad', method: 'INVITE', uri }) as never, 'INVITE', { username: '12145551869', password: 'pw' }).ok).toBe(false);
  });

  it('says why it cannot answer', () => {
    const o = { username: 'u', password: 'p', method: 'INVITE', uri };
    expect(answerChallenge(407, undefined, o)).toBe('no-challenge');
    expect(answerChallenge(407, 'Digest realm="r", nonce="n", algorithm=SHA-512-256', o)).toBe('unsupported-algorithm');
    expect(answerChallenge(407, 'Digest realm="r", nonce="n", qop="auth-int"', o)).toBe('unsupported-qop');
    expect(answerChallenge(401, 'Digest realm="r", nonce="n"', o)).toMatchObject({ header: 'Authorization' });
  });
});

describe('several challenges in one response (repeated headers joined with commas)', () => {
  const uri = 'sip:+12195550714@wa.meta.vc;transport=tls';
  const o = { username: '12145551869', password: 'pw', method: 'INVITE', uri, nc: 1 };
  const sha = new DigestServer({ realm: 'wa.meta.vc', ttlSeconds: 30, algorithm: 'SHA-256' });
  const md5 = new DigestServer({ realm: 'wa.meta.vc', ttlSeconds: 30, algorithm: 'MD5' });

  it('splits them at each scheme outside quotes, keeping commas inside quoted values', () => {
    const a = 'Digest realm="wa.meta.vc", nonce="n1,x", algorithm=SHA-256, qop="auth,auth-int"';
    const b = 'Digest realm="wa.meta.vc", nonce="n2", opaque="Digest realm=x", algorithm=MD5';
    expect(splitChallenges(`${a}, ${b}`)).toEqual([a, b]);
    expect(splitChallenges(a)).toEqual([a]);
    expect(splitChallenges('')).toEqual([]);
  });

  it.each([
    ['SHA-256 first, MD5 second', () => [sha, md5], 'SHA-256'],
    ['MD5 first, SHA-256 second', () => [md5, sha], 'MD5'],
  ] as const)("%s: answers the first, with that challenge's own nonce and opaque", (_name, servers, algorithm) => {
    const [first, second] = servers();
    const joined = `${first!.challenge()}, ${second!.challenge()}`;
    const a = answerChallenge(407, joined, o);
    if (typeof a === 'string') throw new Error(a);
    expect(parseDigestHeader(a.value)).toMatchObject({ algorithm });
    expect(first!.verify(a.value, 'INVITE', { username: o.username, password: 'pw' }).ok).toBe(true);
    expect(second!.verify(a.value, 'INVITE', { username: o.username, password: 'pw' }).ok).toBe(false);
  });

  it('skips a challenge with an algorithm it does not support and answers the next', () => {
    const joined = `Digest realm="wa.meta.vc", nonce="zz", algorithm=SHA-512-256, qop="auth", ${md5.challenge()}`;
    const a = answerChallenge(407, joined, o);
    if (typeof a === 'string') throw new Error(a);
    expect(parseDigestHeader(a.value)).toMatchObject({ algorithm: 'MD5' });
    expect(parseDigestHeader(a.value)?.nonce).not.toBe('zz');
    expect(md5.verify(a.value, 'INVITE', { username: o.username, password: 'pw' }).ok).toBe(true);
  });

  it('says why when none can be answered', () => {
    expect(answerChallenge(407, 'Digest realm="r", nonce="a", algorithm=SHA-512-256, Digest realm="r", nonce="b", algorithm=MD5-sess', o)).toBe('unsupported-algorithm');
  });
});
