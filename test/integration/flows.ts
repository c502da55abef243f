import { expect } from 'vitest';
import { RtpPeer } from '../support/media/rtp-peer';
import { newSdesKey, parseCrypto } from '../support/media/srtp-keys';
import { mediaTarget, metaOffer, pbxSdp } from '../support/sdp';
import { header, randomToken, type SipMessage } from '../support/sip/message';
import type { MetaPeer } from '../support/sip/meta-peer';
import { SipPeer } from '../support/sip/peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
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

/**
 * A WhatsApp user's call up to both sides talking: Meta's authenticated INVITE, the PBX
 * rings and answers (PCMU), Meta ACKs, and both RTP peers point at FreeSWITCH.
 */
export async function establishInbound(meta: MetaPeer, pbx: PbxPeer, rtp: RtpPeer[], o: { pbxToneAtAnswer?: number; pbxPcmAtAnswer?: Int16Array; pbxRingMs?: number } = {}) {
  const metaKey = newSdesKey();
  const metaRtp = await RtpPeer.open({ host: TEST_BED.meta.host, codec: 'OPUS', payloadType: 111, dtmfPayloadType: 126, srtp: { localKeyB64: metaKey } });
  rtp.push(metaRtp);
  const offer = metaOffer({ ip: TEST_BED.meta.host, port: metaRtp.port, keyB64: metaKey });
  const attempt = await metaInviteWithAuth(meta, offer, { extra: [['x-wa-meta-cta-payload', 'sales-promo']] });

  const inv = await pbx.nextInvite();
  // an SDES-SRTP offer (the PBX's srtp: true) is answered in kind, with a key of the PBX's own
  const offered = parseCrypto(inv.msg.body);
  const pbxKey = offered ? newSdesKey() : undefined;
  const pbxRtp = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101, ...(pbxKey ? { srtp: { localKeyB64: pbxKey } } : {}) });
  if (offered) pbxRtp.setSrtpRemoteKey(offered.keyB64);
  rtp.push(pbxRtp);
  const fsPbx = mediaTarget(inv.msg.body);
  pbxRtp.setRemote(fsPbx.ip, fsPbx.port);
  const toTag = randomToken('p');
  pbx.ringAt(inv, toTag);
  await meta.waitResponse(attempt.callId, attempt.cseq, (s) => s === 180);
  if (o.pbxRingMs) await new Promise((r) => setTimeout(r, o.pbxRingMs));
  const pbxDialog = pbx.answer(inv, pbxSdp({ ip: TEST_BED.pbx.host, port: pbxRtp.port, cryptoKeyB64: pbxKey }), toTag);
  const answeredAt = Date.now();
  if (o.pbxToneAtAnswer) pbxRtp.startTone(o.pbxToneAtAnswer);
  if (o.pbxPcmAtAnswer) pbxRtp.startPcm(o.pbxPcmAtAnswer);
  const okRecv = await meta.waitResponse(attempt.callId, attempt.cseq, (s) => s >= 200);
  const ok = okRecv.msg;
  expect(ok.status).toBe(200);
  const metaDialog = SipPeer.uacDialog(attempt.invite, ok);
  metaDialog.routes = []; // the emulator is Meta's last proxy: it sends straight to the gateway
  meta.ack2xx(metaDialog, attempt.cseq);

  const crypto = parseCrypto(ok.body);
  expect(crypto?.suite).toBe('AES_CM_128_HMAC_SHA1_80');
  metaRtp.setSrtpRemoteKey(crypto!.keyB64);
  const fsMeta = mediaTarget(ok.body);
  metaRtp.setRemote(fsMeta.ip, fsMeta.port);
  return { attempt, inv, ok, okAt: okRecv.at, answeredAt, metaDialog, pbxDialog, metaRtp, pbxRtp };
}
