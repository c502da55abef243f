import { describe, expect, it } from 'vitest';
import { connectionFamily } from '../../../src/sdp/connection-family';
import { metaOffer } from '../../support/sdp';

describe("an SDP's audio address family", () => {
  it("Meta's offer over IPv4 and over IPv6", () => {
    expect(connectionFamily(metaOffer({ ip: '157.240.19.130', port: 3480, keyB64: 'k' }))).toBe(4);
    expect(connectionFamily(metaOffer({ ip: '2a03:2880:f003:c07:face:b00c::2', port: 3480, keyB64: 'k' }))).toBe(6);
  });

  it("the audio m-line's own c= wins over the session's; the session's counts when the m-line has none", () => {
    const session4media6 = 'v=0\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP6 2001:db8::1\r\n';
    expect(connectionFamily(session4media6)).toBe(6);
    expect(connectionFamily('v=0\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n')).toBe(6);
    expect(connectionFamily('v=0\r\nt=0 0\r\nm=video 5000 RTP/AVP 96\r\nc=IN IP6 ::1\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.0.0.1\r\n')).toBe(4);
  });

  it('none: no c= at all, or not IN IP4/IP6', () => {
    expect(connectionFamily('v=0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n')).toBeNull();
    expect(connectionFamily('')).toBeNull();
    expect(connectionFamily('v=0\r\nc=IN X25 1234\r\nm=audio 4000 RTP/AVP 0\r\n')).toBeNull();
  });
});
