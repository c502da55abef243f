import { describe, expect, it } from 'vitest';
import { checkMetaOffer } from '../../../src/sdp/meta-offer';
import { metaOffer } from '../../support/sdp';
import { META_DTLS_OFFER } from '../../support/meta-dtls-sdp';

describe("Meta's offer policy", () => {
  const good = metaOffer({ ip: '157.240.19.130', port: 3480, keyB64: 'a'.repeat(40), opusPt: 107, dtmfPt: 101 });

  it('accepts the SDES Opus offer of the traces and follows its payload types', () => {
    expect(checkMetaOffer(good)).toEqual({ ok: true, opusPt: 107, dtmfPt: 101, keyExchange: 'sdes' });
  });

  it('refuses a missing body, garbage, DTLS, plain RTP, no crypto, no opus, two streams', () => {
    const kinds = [
      checkMetaOffer(''),
      checkMetaOffer('hello world'),
      checkMetaOffer(good.replace('RTP/SAVP', 'UDP/TLS/RTP/SAVPF')),
      checkMetaOffer(good.replace('RTP/SAVP', 'RTP/AVP')),
      checkMetaOffer(good.replace(/a=crypto.*\r\n/, '')),
      checkMetaOffer(good.replace(/opus/g, 'speex')),
      checkMetaOffer(`${good}m=video 9 RTP/SAVP 96\r\n`),
    ].map((r) => (r.ok ? 'ok' : r.kind));
    expect(kinds).toEqual(['NO_SDP', 'BAD_SDP', 'DTLS_OFFER', 'BAD_SDP', 'BAD_SDP', 'BAD_SDP', 'BAD_SDP']);
  });

  it("takes Meta's DTLS offer (issue 11) only where rtpengine is configured, and checks it", () => {
    expect(checkMetaOffer(META_DTLS_OFFER)).toMatchObject({ ok: false, kind: 'DTLS_OFFER' });
    expect(checkMetaOffer(META_DTLS_OFFER, { dtls: true })).toEqual({ ok: true, opusPt: 111, dtmfPt: 126, keyExchange: 'dtls' });
    // an SDES offer stays an SDES offer with rtpengine there
    expect(checkMetaOffer(good, { dtls: true })).toMatchObject({ ok: true, keyExchange: 'sdes' });
    const broken = [
      META_DTLS_OFFER.replace(/a=fingerprint:.*\r\n/, '').replace('UDP/TLS/RTP/SAVPF', 'UDP/TLS/RTP/SAVP'),
      META_DTLS_OFFER.replace(/a=fingerprint:.*\r\n/, ''),
      META_DTLS_OFFER.replace(/a=ice-pwd:.*\r\n/, ''),
      META_DTLS_OFFER.replace(/opus/g, 'speex'),
    ].map((s) => checkMetaOffer(s, { dtls: true }));
    expect(broken.map((r) => (r.ok ? 'ok' : r.kind))).toEqual(['BAD_SDP', 'BAD_SDP', 'BAD_SDP', 'BAD_SDP']);
  });
});
