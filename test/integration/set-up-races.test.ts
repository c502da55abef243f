import { describe, expect, it } from 'vitest';
import { parseDigestHeader } from '../../src/auth/digest';
import { RtpPeer } from '../support/media/rtp-peer';
import { newSdesKey } from '../support/media/srtp-keys';
import { metaOffer, pbxSdp } from '../support/sdp';
import { header, randomToken } from '../support/sip/message';
import { TEST_BED } from '../support/servers';
import { metaInviteWithAuth } from './flows';
import { BUSINESS, cdrFor, cdrLines, testBed, until, useCallBed } from './harness';

/**
 * Issue 9 on the real servers: set-up abandoned while the far side is slow, a PBX that dies
 * after its 180, and Meta's 407 with several challenges.
 */
describe.skipIf(!testBed)('set-up under awkward timing (real drachtio-server and FreeSWITCH)', () => {
  const bed = useCallBed('set-up-races');

  async function agentCalls(dialed: string) {
    const pbxRtp = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
    bed.rtp.push(pbxRtp);
    const invite = bed.pbx.buildInvite(dialed, pbxSdp({ ip: TEST_BED.pbx.host, port: pbxRtp.port }));
    bed.pbx.send(invite);
    const first = await bed.meta.nextInvite();
    return { invite, first, callId: header(invite, 'Call-ID')! };
  }

  for (const trying of [false, true]) {
    it(`the agent hangs up while Meta is slow to challenge (${trying ? 'with' : 'without'} a 100 Trying first): Meta gets no INVITE after the caller is gone`, async () => {
      bed.meta.sendTrying = trying;
      try {
        const { invite, first, callId } = await agentCalls('907700900201');
        bed.pbx.cancel(invite);
        const pbxFinal = await bed.pbx.waitResponse(callId, Number(header(invite, 'CSeq')!.split(' ')[0]), (s) => s >= 200);
        expect(pbxFinal.msg.status).toBe(487);
        if (trying) await bed.meta.waitRequest('CANCEL', header(first.msg, 'Call-ID')!, 5000);
        else expect(bed.meta.requests('CANCEL', header(first.msg, 'Call-ID'))).toHaveLength(0); // RFC 3261 §9.1
        // Meta's 407 arrives after the agent is gone
        bed.meta.challenge(first, randomToken('n'));
        const cdr = await until(() => cdrLines(bed.gw).some((c) => c.pbx_call_id === callId), 5000, 'the CDR').then(() => cdrLines(bed.gw).find((c) => c.pbx_call_id === callId));
        expect(cdr).toMatchObject({ ended_by: 'pbx', cause: 'cancel' });
        // give a wrongly sent authenticated INVITE time to arrive: the ACK of the 407 does come
        await bed.meta.waitRequest('ACK', header(first.msg, 'Call-ID')!, 5000);
        await new Promise((r) => setTimeout(r, 500));
        const invites = bed.meta.requests('INVITE', header(first.msg, 'Call-ID'));
        expect(invites).toHaveLength(1);
        expect(invites.some((m) => header(m, 'Proxy-Authorization'))).toBe(false);
      } finally {
        bed.meta.sendTrying = true;
      }
    });
  }

  it('a PBX that stops answering after its 180 (never answers our CANCEL): Meta gets 480 within ring timeout + 4 s', async () => {
    bed.pbx.autoAnswer = false;
    try {
      const a = await metaInviteWithAuth(bed.meta, metaOffer({ ip: TEST_BED.meta.host, port: 40010, keyB64: newSdesKey() }));
      const inv = await bed.pbx.nextInvite();
      const rangAt = Date.now();
      bed.pbx.ringAt(inv, 'silent1');
      const final = await bed.meta.waitResponse(a.callId, a.cseq, (s) => s >= 200, 15_000);
      const waited = Date.now() - rangAt;
      expect(final.msg.status).toBe(480);
      expect(waited).toBeLessThan((4 + 4) * 1000 + 500); // ring_timeout_seconds: 4, + 4 s for the 487 that never comes
      expect(bed.pbx.requests('CANCEL', header(inv.msg, 'Call-ID')).length).toBeGreaterThan(0);
      expect(await cdrFor(bed.gw, a.callId)).toMatchObject({ cause: 'pbx-no-answer', sip_status: 480 });
    } finally {
      bed.pbx.autoAnswer = true;
    }
  }, 30_000);

  for (const [name, challenges, expected] of [
    ['SHA-256 then MD5', [{ algorithm: 'SHA-256', nonce: 'sha' }, { algorithm: 'MD5', nonce: 'md5' }], 'sha'],
    ['MD5 then SHA-256', [{ algorithm: 'MD5', nonce: 'md5' }, { algorithm: 'SHA-256', nonce: 'sha' }], 'md5'],
    ['an unsupported algorithm first', [{ algorithm: 'SHA-512-256', nonce: 'x512' }, { algorithm: 'MD5', nonce: 'md5' }], 'md5'],
  ] as const) {
    it(`two challenges in one 407 (${name}): the first supported one is answered, on its own parameters`, async () => {
      const { first, invite, callId } = await agentCalls('907700900202');
      const nonces = challenges.map((c) => ({ ...c, nonce: `${c.nonce}-${randomToken()}` }));
      bed.meta.challengeMany(first, nonces);
      const second = await bed.meta.nextInvite();
      const d = parseDigestHeader(header(second.msg, 'Proxy-Authorization'));
      const want = nonces.find((c) => c.nonce.startsWith(expected))!;
      expect(d).toMatchObject({ nonce: want.nonce, algorithm: want.algorithm, username: BUSINESS.slice(1) });
      bed.meta.reject(second, 486, 'Busy Here');
      const pbxFinal = await bed.pbx.waitResponse(callId, Number(header(invite, 'CSeq')!.split(' ')[0]), (s) => s >= 200);
      expect(pbxFinal.msg.status).toBe(486);
    });
  }
});
