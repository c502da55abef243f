import { describe, expect, it } from 'vitest';
import { audioTransport } from '../../../src/sdp/media-transport';

const SDP = 'v=0\r\no=FreeSWITCH 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 31000 RTP/SAVP 0 101\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n';

describe('audioTransport: where and with which SDES key a side receives audio', () => {
  it('ignores the origin, the direction and the codec list', () => {
    const other = SDP.replace('o=FreeSWITCH 1 1', 'o=FreeSWITCH 1 7').replace('a=sendrecv', 'a=recvonly').replace(' 0 101', ' 0').replace('a=rtpmap:101 telephone-event/8000\r\n', '');
    expect(audioTransport(other)).toBe(audioTransport(SDP));
    expect(audioTransport(SDP)).toBe('127.0.0.1 31000 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz');
  });

  it('changes with the address, the port or the key', () => {
    for (const changed of [
      SDP.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 127.0.0.2'),
      SDP.replace('m=audio 31000', 'm=audio 31002'),
      SDP.replace('inline:WVNf', 'inline:XVNf'),
    ]) expect(audioTransport(changed)).not.toBe(audioTransport(SDP));
  });

  it('is empty for an SDP without audio', () => {
    expect(audioTransport('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n')).toBe('');
  });
});
