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

/**
 * Several challenges may arrive in one response: repeated Proxy-Authenticate headers, which
 * drachtio-srf hands over joined with commas (Meta has sent SHA-256 first, then MD5). Each
 * is answered on its own parameters, and the first one we can answer wins, in the server's
 * order (RFC 8760 §2.4); parameters are never mixed across challenges.
 */
export function answerChallenge(
  status: 401 | 407,
  challengeValue: string | undefined,
  o: { username: string; password: string; method: string; uri: string; nc?: number; cnonce?: string },
): ChallengeAnswer | AnswerError {
  const challenges = splitChallenges(challengeValue);
  let why: AnswerError = 'no-challenge';
  for (const c of challenges) {
    const a = answerOne(status, c, o);
    if (typeof a !== 'string') return a;
    // report the most telling reason: an unsupported challenge beats none at all
    if (why === 'no-challenge') why = a;
  }
  return why;
}

/**
 * `Digest realm="a", nonce="b", algorithm=SHA-256, Digest realm="a", nonce="c"` → the two
 * challenges, split at each auth-scheme token outside quoted strings.
 */
export function splitChallenges(value: string | undefined): string[] {
  if (!value) return [];
  const starts: number[] = [];
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && quoted) {
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (quoted) continue;
    // a challenge starts the value or follows a comma: an auth-scheme token, a space, a parameter (`Digest realm=`)
    const afterComma = i === 0 || /,\s*$/.test(value.slice(0, i));
    if (afterComma && /^[A-Za-z][A-Za-z0-9_-]*\s+[A-Za-z0-9_-]+\s*=/.test(value.slice(i))) starts.push(i);
  }
  return starts.map((s, k) => value.slice(s, starts[k + 1] ?? value.length).replace(/[\s,]+$/, '').trim()).filter(Boolean);
}

function answerOne(
  status: 401 | 407,
  challengeValue: string,
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
