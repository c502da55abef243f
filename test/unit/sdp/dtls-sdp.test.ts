import { describe, expect, it } from 'vitest';
import { iceLiteIntoMedia, isDtlsSdp } from '../../../src/sdp/dtls-sdp';
import { metaOffer } from '../../support/sdp';
import { META_DTLS_OFFER } from '../../support/meta-dtls-sdp';

describe('DTLS SDP helpers (issue 11)', () => {
  it("moves Meta's session-level a=ice-lite into the m= section, where rtpengine 10.5 reads it", () => {
    const out = iceLiteIntoMedia(META_DTLS_OFFER);
    const lines = out.split('\r\n');
    const m = lines.findIndex((l) => l.startsWith('m=audio'));
    // after every other line of the section: never between m= and c= (malformed, rtpengine refuses it)
    expect(lines.indexOf('a=ice-lite')).toBeGreaterThan(lines.findIndex((l, i) => i > m && l.startsWith('c=')));
    expect(lines.indexOf('a=ice-lite')).toBe(lines.length - 2);
    expect(lines.filter((l) => l === 'a=ice-lite')).toHaveLength(1);
    // nothing else changed, CRLF and the final line break kept
    expect(lines.filter((l) => l !== 'a=ice-lite')).toEqual(META_DTLS_OFFER.split('\r\n').filter((l) => l !== 'a=ice-lite'));
    expect(out.endsWith('\r\n')).toBe(true);
  });

  it('puts it in every m= section, once, and leaves an SDP without a session-level one alone', () => {
    const two = META_DTLS_OFFER.replace('m=audio', 'm=audio 1 UDP/TLS/RTP/SAVPF 0\r\na=ice-lite\r\nm=audio');
    const out = iceLiteIntoMedia(two);
    expect(out.match(/a=ice-lite/g)).toHaveLength(2);
    expect(out.split('\r\nm=')[0]).not.toContain('a=ice-lite');
    const already = iceLiteIntoMedia(META_DTLS_OFFER);
    expect(iceLiteIntoMedia(already)).toBe(already);
    const sdes = metaOffer({ ip: '157.240.1.1', port: 4000, keyB64: 'a'.repeat(40) });
    expect(iceLiteIntoMedia(sdes)).toBe(sdes);
    expect(iceLiteIntoMedia('v=0\r\na=ice-lite\r\n')).toBe('v=0\r\na=ice-lite\r\n');
  });

  it('tells a DTLS SDP from an SDES one', () => {
    expect(isDtlsSdp(META_DTLS_OFFER)).toBe(true);
    expect(isDtlsSdp(metaOffer({ ip: '157.240.1.1', port: 4000, keyB64: 'a'.repeat(40) }))).toBe(false);
    expect(isDtlsSdp(undefined)).toBe(false);
    expect(isDtlsSdp('v=0\r\nm=audio 9 RTP/AVP 0\r\na=fingerprint:sha-256 AB\r\n')).toBe(true);
  });
});
