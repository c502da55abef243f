import { describe, expect, it } from 'vitest';
import { earlyAnswer } from '../../../src/sdp/early-answer';

/** FreeSWITCH's offer toward a PBX, as it sends it (trace from the test bed) */
const FS_OFFER = [
  'v=0',
  'o=FreeSWITCH 1796133078 1796133079 IN IP4 127.0.0.1',
  's=FreeSWITCH',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 31912 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=silenceSupp:off - - - -',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

describe('earlyAnswer (the stand-in answer in the 183 that holds an offering leg in early media)', () => {
  it('takes every codec of the offer, with its rtpmap/fmtp and ptime, and points at the discard port of loopback', () => {
    const a = earlyAnswer(FS_OFFER)!;
    expect(a.split('\r\n')).toEqual([
      'v=0',
      'o=wa-sip-gateway 1 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      'm=audio 9 RTP/AVP 0 8 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-15',
      'a=ptime:20',
      'a=sendrecv',
      '',
    ]);
  });

  it('drops attributes of formats the m= line does not carry, and the offer\'s other attributes', () => {
    const offer = FS_OFFER.replace('m=audio 31912 RTP/AVP 0 8 101', 'm=audio 31912 RTP/AVP 0 101');
    const a = earlyAnswer(offer)!;
    expect(a).not.toContain('PCMA');
    expect(a).not.toContain('silenceSupp');
    expect(a).toMatch(/^m=audio 9 RTP\/AVP 0 101$/m);
  });

  it('has none for an SDES offer: FreeSWITCH would draw a new key of its own when the real answer comes', () => {
    const sdes = FS_OFFER.replace('RTP/AVP', 'RTP/SAVP').replace('a=ptime:20', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:VistOgt3fEe+Qh9euup5eAjSBxahbYwPqXF32Kwf\r\na=ptime:20');
    expect(earlyAnswer(sdes)).toBeNull();
  });

  it('has none for DTLS, ICE, several media lines, or no audio', () => {
    expect(earlyAnswer(FS_OFFER.replace('a=ptime:20', 'a=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\na=ptime:20'))).toBeNull();
    expect(earlyAnswer(FS_OFFER.replace('a=ptime:20', 'a=ice-ufrag:abcd\r\na=ptime:20'))).toBeNull();
    expect(earlyAnswer(`${FS_OFFER}m=video 31914 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n`)).toBeNull();
    expect(earlyAnswer(FS_OFFER.replace('m=audio 31912 RTP/AVP 0 8 101', 'm=video 31912 RTP/AVP 96'))).toBeNull();
    expect(earlyAnswer('')).toBeNull();
  });

  it('points an IPv6 offer at the IPv6 loopback (FreeSWITCH\'s RTP socket is of the offer\'s family)', () => {
    const a = earlyAnswer(FS_OFFER.replace(/IN IP4 127\.0\.0\.1/g, 'IN IP6 ::1'))!;
    expect(a).toMatch(/^c=IN IP6 ::1$/m);
    expect(a).toMatch(/^o=wa-sip-gateway 1 1 IN IP6 ::1$/m);
  });

  it('reads offers with bare LF line ends too', () => {
    expect(earlyAnswer(FS_OFFER.replace(/\r\n/g, '\n'))).toBe(earlyAnswer(FS_OFFER));
  });
});
