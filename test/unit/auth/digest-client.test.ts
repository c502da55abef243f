import { describe, expect, it } from 'vitest';
import { answerChallenge } from '../../../src/auth/digest-client';
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
