import { expect } from 'vitest';
import { header, type SipMessage } from '../support/sip/message';
import type { MetaPeer } from '../support/sip/meta-peer';
import { TEST_BED } from '../support/servers';
import { BUSINESS, BUSINESS_PASSWORD, WA_USER } from './harness';

/** Meta's side of a user-initiated call up to the authenticated INVITE (SPEC M3). */
export interface MetaAttempt {
  first: SipMessage;
  challenge: SipMessage;
  invite: SipMessage;
  callId: string;
  cseq: number;
}

export async function metaInviteWithAuth(
  meta: MetaPeer,
  sdp: string,
  o: { password?: string; business?: string; extra?: [string, string][]; userParams?: string } = {},
): Promise<MetaAttempt> {
  const business = o.business ?? BUSINESS;
  const first = meta.buildInvite({ business, user: WA_USER, gatewayHost: TEST_BED.gatewayHostname, sdp, extra: o.extra, userParams: o.userParams });
  const callId = header(first, 'Call-ID')!;
  const challenge = await meta.request(first);
  expect(challenge.status).toBe(407);
  meta.ackNon2xx(first, challenge);
  // as in Meta's trace: uri= is the Request-URI without ;transport=tls
  const invite = meta.withCredentials(first, challenge, business.slice(1), o.password ?? BUSINESS_PASSWORD, `sip:${business}@${TEST_BED.gatewayHostname}`);
  meta.send(invite);
  const cseq = Number((header(invite, 'CSeq') ?? '').split(' ')[0]);
  return { first, challenge, invite, callId, cseq };
}
