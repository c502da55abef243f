/**
 * The STUN code of the DTLS test peer (test/support/media/stun.ts, ice-lite-responder.ts)
 * against the test vectors of RFC 5769 §2: integrity and fingerprint verification, the
 * XOR-MAPPED-ADDRESS encoding, and what the ICE-lite responder records and answers.
 */
import { describe, expect, it } from 'vitest';
import { IceLiteResponder } from '../support/media/ice-lite-responder';
import { Attr, StunType, attribute, checkFingerprint, decodeStun, encodeStun, parseXorAddress, verifyIntegrity, xorAddress } from '../support/media/stun';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const PWD = 'VOkJxbRl1RmTxUk/WvJxBt';
// RFC 5769 §2.1: username "evtj:h6vY", ICE-CONTROLLED, PRIORITY 0x6e0001ff
const REQUEST = hex(`0001 0058 2112a442 b7e7a701 bc34d686 fa87dfae
  8022 0010 5354554e 20746573 7420636c 69656e74  0024 0004 6e0001ff  8029 0008 932ff9b1 51263b36
  0006 0009 6576746a 3a683676 59202020  0008 0014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2  8028 0004 e57a3bcf`);
// §2.2: 192.0.2.1 port 32853
const RESPONSE_V4 = hex(`0101 003c 2112a442 b7e7a701 bc34d686 fa87dfae  8022 000b 74657374 20766563 746f7220
  0020 0008 0001a147 e112a643  0008 0014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7  8028 0004 c07d4c96`);
// §2.3: 2001:db8:1234:5678:11:2233:4455:6677 port 32853
const RESPONSE_V6 = hex(`0101 0048 2112a442 b7e7a701 bc34d686 fa87dfae  8022 000b 74657374 20766563 746f7220
  0020 0014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9  0008 0014 a382954e 4be67bf1 1784c97c 8292c275 bfe3ed41
  8028 0004 c8fb0b4c`);

describe('STUN (RFC 5769 test vectors)', () => {
  it('verifies the sample request: integrity with the password only, fingerprint, attributes', () => {
    const m = decodeStun(REQUEST)!;
    expect(m.type).toBe(StunType.BindingRequest);
    expect(attribute(m, Attr.Username)!.toString()).toBe('evtj:h6vY');
    expect(attribute(m, Attr.Priority)!.readUInt32BE(0)).toBe(0x6e0001ff);
    expect(verifyIntegrity(m, PWD)).toBe(true);
    expect(verifyIntegrity(m, `${PWD}x`)).toBe(false);
    expect(checkFingerprint(m)).toBe('ok');
    const tampered = Buffer.from(REQUEST);
    tampered[30]! ^= 1; // a byte of SOFTWARE
    expect(verifyIntegrity(decodeStun(tampered)!, PWD)).toBe(false);
    expect(checkFingerprint(decodeStun(tampered)!)).toBe('bad');
  });

  it('reads and writes the sample XOR-MAPPED-ADDRESS values, IPv4 and IPv6', () => {
    for (const [raw, ip] of [[RESPONSE_V4, '192.0.2.1'], [RESPONSE_V6, '2001:db8:1234:5678:11:2233:4455:6677']] as const) {
      const m = decodeStun(raw)!;
      expect(verifyIntegrity(m, PWD)).toBe(true);
      expect(checkFingerprint(m)).toBe('ok');
      const value = attribute(m, Attr.XorMappedAddress)!;
      expect(parseXorAddress(value, m.transactionId)).toEqual({ ip, port: 32853 });
      expect(xorAddress(ip, 32853, m.transactionId).equals(value)).toBe(true);
    }
  });

  it('rejects what is not a well-formed STUN message', () => {
    expect(decodeStun(REQUEST.subarray(0, REQUEST.length - 4))).toBeNull(); // length field disagrees
    expect(decodeStun(Buffer.from([0x80, 0, 0, 0, ...REQUEST.subarray(4)]))).toBeNull(); // RTP's first byte
  });
});

describe('IceLiteResponder', () => {
  const from = { address: '127.0.0.1', port: 40000 };
  function responder(ufrag = 'evtj') {
    const sent: { msg: Buffer; host: string; port: number }[] = [];
    const r = new IceLiteResponder(ufrag, PWD, (msg, host, port) => sent.push({ msg, host, port }));
    return { r, sent };
  }

  it("answers the sample request with its own credentials and records it as an ICE-CONTROLLED check", () => {
    const { r, sent } = responder();
    r.handle(REQUEST, from);
    expect(r.checks).toMatchObject([{ from, username: 'evtj:h6vY', controlling: false, controlled: true, useCandidate: false, priority: 0x6e0001ff }]);
    expect(r.nominated).toBeNull();
    expect(sent).toHaveLength(1);
    const res = decodeStun(sent[0]!.msg)!;
    expect(res.type).toBe(StunType.BindingSuccess);
    expect(res.transactionId.equals(decodeStun(REQUEST)!.transactionId)).toBe(true);
    expect(verifyIntegrity(res, PWD)).toBe(true);
    expect(checkFingerprint(res)).toBe('ok');
    expect(parseXorAddress(attribute(res, Attr.XorMappedAddress)!, res.transactionId)).toEqual({ ip: from.address, port: from.port });
    expect(r.isValidated(from)).toBe(true);
  });

  it('refuses a check for another ufrag (401) and one without integrity (400), validating nothing', () => {
    const { r, sent } = responder('othr');
    r.handle(REQUEST, from);
    const noIntegrity = encodeStun(StunType.BindingRequest, Buffer.alloc(12, 7), [[Attr.Username, Buffer.from('othr:x')]]);
    r.handle(noIntegrity, from);
    expect(r.rejected.map((x) => x.status)).toEqual([401, 400]);
    expect(sent.map((s) => decodeStun(s.msg)!.type)).toEqual([StunType.BindingError, StunType.BindingError]);
    expect(r.checks).toEqual([]);
    expect(r.isValidated(from)).toBe(false);
  });

  it('nominates the source of a check with USE-CANDIDATE, and ignores responses and indications', () => {
    const { r, sent } = responder('lite');
    const check = (useCandidate: boolean) =>
      encodeStun(StunType.BindingRequest, Buffer.alloc(12, useCandidate ? 1 : 2), [
        [Attr.Username, Buffer.from('lite:full')],
        [Attr.IceControlling, Buffer.alloc(8, 9)],
        ...(useCandidate ? [[Attr.UseCandidate, Buffer.alloc(0)] as [number, Buffer]] : []),
      ], PWD);
    r.handle(check(false), from);
    expect(r.nominated).toBeNull();
    r.handle(check(true), from);
    expect(r.nominated).toEqual(from);
    r.handle(RESPONSE_V4, from);
    r.handle(encodeStun(StunType.BindingIndication, Buffer.alloc(12, 3), []), from);
    expect(sent).toHaveLength(2);
    expect(r.checks.map((c) => [c.controlling, c.useCandidate])).toEqual([[true, false], [true, true]]);
  });
});
