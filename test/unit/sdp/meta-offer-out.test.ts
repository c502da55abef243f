import { describe, expect, it } from 'vitest';
import { shapeOfferForMeta } from '../../../src/sdp/meta-offer-out';

// what FreeSWITCH offers for absolute_codec_string OPUS,PCMU with SDES
const fsOffer = [
  'v=0', 'o=FreeSWITCH 1 2 IN IP4 127.0.0.1', 's=FreeSWITCH', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 31818 RTP/SAVP 102 0 103 101',
  'a=rtpmap:102 opus/48000/2', 'a=fmtp:102 useinbandfec=1; maxaveragebitrate=20000',
  'a=rtpmap:0 PCMU/8000', 'a=rtpmap:103 telephone-event/48000', 'a=fmtp:103 0-15',
  'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15',
  'a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:QDUy8Z0scb1SvrOkIz51SDsAqsqLQbJBu2zoxvYl',
  'a=crypto:8 AES_CM_128_HMAC_SHA1_32 inline:QDUy8Z0scb1SvrOkIz51SDsAqsqLQbJBu2zoxvYl',
  'a=ptime:20', '',
].join('\r\n');

describe("the offer to Meta", () => {
  it('keeps Opus 48 kHz, telephone-event/8000 and the SHA1_80 suite only', () => {
    const out = shapeOfferForMeta(fsOffer);
    expect(out).toMatch(/^m=audio 31818 RTP\/SAVP 102 101\r$/m);
    expect(out).toContain('a=rtpmap:101 telephone-event/8000');
    expect(out).not.toContain('telephone-event/48000');
    expect(out).not.toContain('PCMU');
    expect(out.match(/a=crypto/g)).toHaveLength(1);
    expect(out).toContain('a=ptime:20');
  });
});
