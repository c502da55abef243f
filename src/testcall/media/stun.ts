/**
 * STUN messages (RFC 8489) as ICE uses them (RFC 8445 §7): decode, verify short-term
 * credentials (MESSAGE-INTEGRITY, HMAC-SHA1 keyed with the ice-pwd) and FINGERPRINT, and
 * encode requests and responses. Written here rather than taken from the WebRTC stack on
 * the other side of the tests, so a check the two disagree on shows up.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { crc32 } from 'node:zlib';

export const MAGIC_COOKIE = 0x2112a442;
const FINGERPRINT_XOR = 0x5354554e;
const HEADER = 20;

export const StunType = { BindingRequest: 0x0001, BindingSuccess: 0x0101, BindingError: 0x0111, BindingIndication: 0x0011 } as const;

export const Attr = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  XorMappedAddress: 0x0020,
  Priority: 0x0024,
  UseCandidate: 0x0025,
  Software: 0x8022,
  Fingerprint: 0x8028,
  IceControlled: 0x8029,
  IceControlling: 0x802a,
} as const;

export interface StunAttribute {
  type: number;
  value: Buffer;
  /** byte offset of the attribute header in the message */
  offset: number;
}

export interface StunMessage {
  type: number;
  transactionId: Buffer;
  attributes: StunAttribute[];
  raw: Buffer;
}

/** RFC 7983 demux: the first byte of a STUN message is 0..3 */
export function looksLikeStun(msg: Buffer): boolean {
  return msg.length >= HEADER && msg[0]! < 4 && msg.readUInt32BE(4) === MAGIC_COOKIE;
}

/** null when `msg` is not a well-formed STUN message */
export function decodeStun(msg: Buffer): StunMessage | null {
  if (!looksLikeStun(msg)) return null;
  const length = msg.readUInt16BE(2);
  if (length % 4 !== 0 || HEADER + length !== msg.length) return null;
  const attributes: StunAttribute[] = [];
  for (let at = HEADER; at < msg.length; ) {
    if (at + 4 > msg.length) return null;
    const type = msg.readUInt16BE(at);
    const len = msg.readUInt16BE(at + 2);
    if (at + 4 + len > msg.length) return null;
    attributes.push({ type, value: msg.subarray(at + 4, at + 4 + len), offset: at });
    at += 4 + Math.ceil(len / 4) * 4;
  }
  return { type: msg.readUInt16BE(0), transactionId: msg.subarray(8, 20), attributes, raw: msg };
}

export function attribute(m: StunMessage, type: number): Buffer | undefined {
  return m.attributes.find((a) => a.type === type)?.value;
}

/** the message up to `offset`, with the header's length as if it ended `extra` bytes later */
function prefix(raw: Buffer, offset: number, extra: number): Buffer {
  const head = Buffer.from(raw.subarray(0, offset));
  head.writeUInt16BE(offset - HEADER + extra, 2);
  return head;
}

const integrity = (data: Buffer, pwd: string) => createHmac('sha1', Buffer.from(pwd, 'utf8')).update(data).digest();
const fingerprintOf = (data: Buffer) => (crc32(data) ^ FINGERPRINT_XOR) >>> 0;

/** MESSAGE-INTEGRITY present and valid for `pwd` (attributes after it, but FINGERPRINT, are not allowed) */
export function verifyIntegrity(m: StunMessage, pwd: string): boolean {
  const mi = m.attributes.find((a) => a.type === Attr.MessageIntegrity);
  if (!mi || mi.value.length !== 20) return false;
  const expected = integrity(prefix(m.raw, mi.offset, 24), pwd);
  return timingSafeEqual(expected, mi.value);
}

/** 'absent', or whether the FINGERPRINT (which must be last) matches */
export function checkFingerprint(m: StunMessage): 'absent' | 'ok' | 'bad' {
  const fp = m.attributes.find((a) => a.type === Attr.Fingerprint);
  if (!fp) return 'absent';
  if (fp !== m.attributes[m.attributes.length - 1] || fp.value.length !== 4) return 'bad';
  return fp.value.readUInt32BE(0) === fingerprintOf(prefix(m.raw, fp.offset, 8)) ? 'ok' : 'bad';
}

export function xorAddress(ip: string, port: number, transactionId: Buffer): Buffer {
  const v6 = isIPv6(ip);
  const out = Buffer.alloc(v6 ? 20 : 8);
  out[1] = v6 ? 0x02 : 0x01;
  out.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 2);
  const addr = v6 ? ipv6Bytes(ip) : Buffer.from(ip.split('.').map(Number));
  const mask = Buffer.concat([Buffer.from([0x21, 0x12, 0xa4, 0x42]), transactionId]);
  for (let i = 0; i < addr.length; i++) out[4 + i] = addr[i]! ^ mask[i]!;
  return out;
}

/** the address in an XOR-MAPPED-ADDRESS value */
export function parseXorAddress(value: Buffer, transactionId: Buffer): { ip: string; port: number } {
  const port = value.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  const mask = Buffer.concat([Buffer.from([0x21, 0x12, 0xa4, 0x42]), transactionId]);
  const bytes = Buffer.from(value.subarray(4).map((b, i) => b ^ mask[i]!));
  if (value[1] === 0x01) return { ip: [...bytes].join('.'), port };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return { ip: groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::'), port };
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const parts = (s: string | undefined) => (s ? s.split(':') : []);
  const h = parts(head);
  const t = parts(tail);
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/**
 * Encodes a message; with `pwd` it adds MESSAGE-INTEGRITY, and then always FINGERPRINT
 * (RFC 8445 §7.1: both on every check and every response).
 */
export function encodeStun(type: number, transactionId: Buffer, attrs: [number, Buffer][], pwd?: string): Buffer {
  const parts: Buffer[] = [Buffer.alloc(HEADER)];
  parts[0]!.writeUInt16BE(type, 0);
  parts[0]!.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(parts[0]!, 8);
  const push = (t: number, v: Buffer) => {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(t, 0);
    h.writeUInt16BE(v.length, 2);
    parts.push(h, v, Buffer.alloc((4 - (v.length % 4)) % 4));
  };
  for (const [t, v] of attrs) push(t, v);
  if (pwd !== undefined) {
    const sofar = Buffer.concat(parts);
    push(Attr.MessageIntegrity, integrity(prefix(sofar, sofar.length, 24), pwd));
  }
  const sofar = Buffer.concat(parts);
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE(fingerprintOf(prefix(sofar, sofar.length, 8)), 0);
  push(Attr.Fingerprint, fp);
  const out = Buffer.concat(parts);
  out.writeUInt16BE(out.length - HEADER, 2);
  return out;
}

export function errorCodeValue(code: number, reason: string): Buffer {
  const head = Buffer.from([0, 0, Math.floor(code / 100), code % 100]);
  return Buffer.concat([head, Buffer.from(reason, 'utf8')]);
}
