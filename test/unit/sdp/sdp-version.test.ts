import { describe, expect, it } from 'vitest';
import { SdpVersion } from '../../../src/sdp/sdp-version';

const sdp = (o: string, dir = 'sendrecv', port = 31000) => `v=0\r\no=${o} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=${dir}\r\n`;

describe('SdpVersion', () => {
  it('keeps the origin of the first SDP and bumps the version by one when the description changes', () => {
    const v = new SdpVersion(sdp('FreeSWITCH 100 7'));
    expect(v.next(sdp('FreeSWITCH 100 7'))).toBe(sdp('FreeSWITCH 100 7'));
    // FreeSWITCH's re-INVITE answer with its own version, and our direction rewrite: one bump
    expect(v.next(sdp('FreeSWITCH 100 9', 'recvonly'))).toBe(sdp('FreeSWITCH 100 8', 'recvonly'));
    expect(v.next(sdp('FreeSWITCH 100 10', 'recvonly'))).toBe(sdp('FreeSWITCH 100 8', 'recvonly'));
    expect(v.next(sdp('other 555 1', 'sendrecv', 31002))).toBe(sdp('FreeSWITCH 100 9', 'sendrecv', 31002));
  });

  it('counts past 2^53 without losing precision', () => {
    const v = new SdpVersion(sdp('x 1 9007199254740993'));
    expect(v.next(sdp('x 1 1', 'inactive'))).toContain('o=x 1 9007199254740994 IN IP4');
  });
});
