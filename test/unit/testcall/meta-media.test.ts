import { afterEach, describe, expect, it } from 'vitest';
import { metaDtlsOffer, parseDtlsSdp } from '../../../src/testcall/dtls-sdp';
import { answerMedia, keyExchangeOf, offerMedia, type MetaMedia } from '../../../src/testcall/meta-media';
import { metaOffer } from '../../../src/testcall/meta-sdp';

/**
 * test-call's media in either key exchange (src/testcall/meta-media.ts), without servers:
 * which SDP is which, what Meta's side refuses in the gateway's offer or answer, and that
 * its DTLS answer is passive and ICE-lite. The call itself: test/integration/test-call-dtls.test.ts.
 */
const opened: MetaMedia[] = [];
afterEach(async () => {
  for (const m of opened.splice(0)) await m.close();
});

/** an offer shaped like rtpengine's for the gateway (DTLS, ICE, actpass), with the given a=setup */
function gatewayDtlsOffer(setup: string): string {
  const sdp = metaDtlsOffer({ candidates: [{ ip: '127.0.0.1', port: 34002 }], ufrag: 'Uf8x', pwd: 'p'.repeat(22), fingerprint: `sha-256 ${'AB:'.repeat(31)}AB`, opusPt: 96, dtmfPt: 101, ssrc: 7 });
  return sdp.replace('a=setup:actpass', `a=setup:${setup}`);
}
const SDES_OFFER = metaOffer({ ip: '127.0.0.1', port: 40000, keyB64: 'a'.repeat(40), ssrc: 42 });

describe('test-call media: SDES or DTLS-SRTP', () => {
  it('tells the key exchange from the SDP', () => {
    expect(keyExchangeOf(SDES_OFFER)).toBe('sdes');
    expect(keyExchangeOf(gatewayDtlsOffer('actpass'))).toBe('dtls');
    expect(keyExchangeOf(SDES_OFFER.replace(/^a=crypto:.*\r\n/m, ''))).toBeNull();
    expect(keyExchangeOf(gatewayDtlsOffer('actpass').replace(/^a=fingerprint:.*\r\n/m, ''))).toBeNull();
  });

  it("answers the gateway's DTLS offer as Meta does: passive, ICE-lite, its fingerprint, the offer's payload types", async () => {
    for (const setup of ['actpass', 'active']) {
      const r = await answerMedia(gatewayDtlsOffer(setup), '127.0.0.1');
      if (typeof r === 'string') throw new Error(r);
      opened.push(r.media);
      expect(r.media.keyExchange).toBe('dtls');
      const answer = parseDtlsSdp(r.answer);
      expect(answer).toMatchObject({ proto: 'UDP/TLS/RTP/SAVPF', setup: 'passive', iceLite: true, rtcpMux: true, hasCrypto: false, opusPt: 96, dtmfPt: 101 });
      expect(answer.fingerprint).toMatch(/^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      expect(answer.candidates).toEqual([{ ip: '127.0.0.1', port: r.media.rtp.port, transport: 'udp', type: 'host' }]);
    }
  });

  it('refuses, as Meta would, a passive DTLS offer, an offer in the other key exchange than --srtp, and one with neither', async () => {
    expect(await answerMedia(gatewayDtlsOffer('passive'), '127.0.0.1')).toBe('the offer says a=setup:passive; Meta is DTLS server, so it must be actpass or active');
    expect(await answerMedia(SDES_OFFER, '127.0.0.1', 'dtls')).toBe('the offer uses SDES, but --srtp says the number is DTLS at Meta');
    expect(await answerMedia(gatewayDtlsOffer('actpass'), '127.0.0.1', 'sdes')).toBe('the offer uses DTLS, but --srtp says the number is SDES at Meta');
    expect(await answerMedia(SDES_OFFER.replace('RTP/SAVP', 'RTP/AVP'), '127.0.0.1')).toBe('the offer is neither SDES-SRTP nor DTLS-SRTP Opus');
  });

  it("offers DTLS as Meta does and takes only an answer that makes the gateway the DTLS client", async () => {
    const { media, offer } = await offerMedia('dtls', '127.0.0.1');
    opened.push(media);
    expect(parseDtlsSdp(offer)).toMatchObject({ proto: 'UDP/TLS/RTP/SAVPF', setup: 'actpass', iceLite: true, opusPt: 111, dtmfPt: 126 });
    expect(media.takeAnswer(gatewayDtlsOffer('passive'))).toBe('the answer says a=setup:passive; Meta is DTLS server, so it must be active');
    expect(media.takeAnswer(SDES_OFFER)).toBe('the answer is RTP/SAVP, not UDP/TLS/RTP/SAVPF (DTLS-SRTP)');
    expect(media.takeAnswer(gatewayDtlsOffer('active'))).toBeNull();
    // no handshake comes from that (fake) gateway: the report says it did not complete
    expect(await media.keyed(300)).toMatch(/^DTLS not connected after 300 ms \(0 ICE checks received\)$/);
    expect(media.summary(Date.now()).dtls).toMatchObject({ setup: 'active', completedMs: null, iceChecks: 0, iceControlling: false, useCandidate: false });
  });

  it('offers SDES with a key and takes an SDES answer', async () => {
    const { media, offer } = await offerMedia('sdes', '127.0.0.1');
    opened.push(media);
    expect(keyExchangeOf(offer)).toBe('sdes');
    expect(media.takeAnswer(SDES_OFFER.replace(/^a=crypto:.*\r\n/m, ''))).toBe('the answer has no SDES key (a=crypto)');
    expect(media.takeAnswer(SDES_OFFER)).toBeNull();
    expect(await media.keyed(0)).toBeNull();
    expect(media.summary(0)).toEqual({ method: 'sdes', suite: 'AES_CM_128_HMAC_SHA1_80' });
  });
});
