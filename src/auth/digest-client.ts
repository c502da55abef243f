import { randomBytes } from 'node:crypto';
import { digestResponse, parseAlgorithm, parseDigestHeader } from './digest';

/**
 * Answering a peer's digest challenge (Meta's 407 on business-initiated calls, SPEC M6):
 * MD5 and SHA-256 (RFC 7616 / RFC 8760), qop=auth with a counted nc, opaque echoed.
 * drachtio-srf's own client is MD5-only.
 */

export interface ChallengeAnswer {
  /** Authorization (for a 401) or Proxy-Authorization (for a 407) */
  header: 'Authorization' | 'Proxy-Authorization';
  value: string;
}

export type AnswerError = 'no-challenge' | 'unsupported-algorithm' | 'unsupported-qop';

export function answerChallenge(
  status: 401 | 407,
  challengeValue: string | undefined,
  o: { username: string; password: string; method: string; uri: string; nc?: number; cnonce?: string },
): ChallengeAnswer | AnswerError {
  const c = parseDigestHeader(challengeValue);
  if (!c?.realm || !c.nonce) return 'no-challenge';
  const algorithm = parseAlgorithm(c.algorithm);
  if (!algorithm) return 'unsupported-algorithm';
  const qops = (c.qop ?? '').split(',').map((q) => q.trim()).filter(Boolean);
  if (qops.length && !qops.includes('auth')) return 'unsupported-qop';
  const qop = qops.length ? 'auth' : undefined;
  const nc = (o.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = o.cnonce ?? randomBytes(12).toString('hex');
  const response = digestResponse({ algorithm, username: o.username, realm: c.realm, password: o.password, method: o.method, uri: o.uri, nonce: c.nonce, qop, nc, cnonce });
  const parts = [
    `username="${o.username}"`, `realm="${c.realm}"`, `nonce="${c.nonce}"`, `uri="${o.uri}"`, `response="${response}"`, `algorithm=${algorithm}`,
    ...(qop ? [`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`] : []),
    ...(c.opaque !== undefined ? [`opaque="${c.opaque}"`] : []),
  ];
  return { header: status === 401 ? 'Authorization' : 'Proxy-Authorization', value: `Digest ${parts.join(', ')}` };
}
