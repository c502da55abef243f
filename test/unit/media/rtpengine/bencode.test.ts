import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../../../src/media/rtpengine/bencode';

describe('bencode (rtpengine ng protocol)', () => {
  it('encodes as rtpengine expects: byte lengths, sorted keys, nested lists', () => {
    expect(encode({ command: 'ping' }).toString()).toBe('d7:command4:pinge');
    expect(encode({ sdp: 'é', 'call-id': 'a', flags: ['x', 'yy'], n: -3 }).toString('latin1')).toBe(Buffer.from('d7:call-id1:a5:flagsl1:x2:yye1:ni-3e3:sdp2:\u00c3\u00a9e', 'latin1').toString('latin1'));
  });

  it('decodes what it encodes', () => {
    const v = { result: 'ok', sdp: 'v=0\r\nm=audio 42000 RTP/AVP 0\r\n', calls: ['a', 'b'], totals: { n: 2, list: [] } };
    expect(decode(encode(v))).toEqual(v);
  });

  it('refuses malformed input with an error, never a hang or a crash', () => {
    for (const bad of ['', 'd', 'i12', 'ix3e', '5:abc', 'l1:a', 'di1e1:ae', '3:abcX', '-1:a', 'd1:a' + 'l'.repeat(100)]) {
      expect(() => decode(Buffer.from(bad)), bad).toThrow(/bencode/);
    }
  });
});
