/**
 * Self-tests for the media helpers in test/support/media: the codecs, the tone
 * detector and RtpPeer over loopback (PCMU, Opus+SRTP, DTMF). Each check is
 * paired with a case where it must fail, so a broken helper cannot pass silently.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMulaw, encodeMulaw } from '../support/media/g711';
import { OpusCodec } from '../support/media/opus';
import { RtpPeer, type RtpPeerOptions } from '../support/media/rtp-peer';
import { cryptoAttribute, cryptoLine, newSdesKey, parseCrypto, splitSdesKey } from '../support/media/srtp-keys';
import { dominantTone, rms, sine, skipMs, toneLevel } from '../support/media/tone';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const peers: RtpPeer[] = [];
const sockets: Socket[] = [];
async function openPeer(opts: Omit<RtpPeerOptions, 'host'>): Promise<RtpPeer> {
  const peer = await RtpPeer.open({ host: '127.0.0.1', ...opts });
  peers.push(peer);
  return peer;
}
async function pair(a: Omit<RtpPeerOptions, 'host'>, b: Omit<RtpPeerOptions, 'host'>): Promise<[RtpPeer, RtpPeer]> {
  const pa = await openPeer(a);
  const pb = await openPeer(b);
  pa.setRemote(pb.host, pb.port);
  pb.setRemote(pa.host, pa.port);
  return [pa, pb];
}

/** A bare UDP socket recording raw datagrams, to check what RtpPeer puts on the wire. */
async function capture(): Promise<{ socket: Socket; port: number; packets: Buffer[] }> {
  const socket = createSocket('udp4');
  const packets: Buffer[] = [];
  socket.on('message', (m) => packets.push(m));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  sockets.push(socket);
  return { socket, port: socket.address().port, packets };
}

afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
  for (const s of sockets.splice(0)) s.close();
});

describe('g711 μ-law', () => {
  it('round-trips a sine with small error', () => {
    const pcm = sine(1000, 8000, 800, 12000);
    const back = decodeMulaw(encodeMulaw(pcm));
    expect(encodeMulaw(pcm)).toHaveLength(800);
    const maxErr = Math.max(...Array.from(pcm, (v, i) => Math.abs(v - back[i]!)));
    expect(maxErr).toBeLessThanOrEqual(256); // 12000 lies in the segment with 512-wide steps
    expect(rms(back)).toBeGreaterThan(rms(pcm) * 0.97);
    expect(rms(back)).toBeLessThan(rms(pcm) * 1.03);
  });

  it('encodes known reference values', () => {
    expect([...encodeMulaw(Int16Array.from([0, -1, 32767, -32768]))]).toEqual([0xff, 0x7f, 0x80, 0x00]);
    expect([...decodeMulaw(Buffer.from([0xff, 0x80, 0x00]))]).toEqual([0, 32124, -32124]);
  });
});

describe('tone analysis', () => {
  it('finds the dominant tone and tells 1000 Hz from 440 Hz', () => {
    const k1 = dominantTone(sine(1000, 8000, 4000), 8000, [440, 1000]);
    expect(k1.freq).toBe(1000);
    expect(k1.ratio).toBeGreaterThan(10);
    const a440 = dominantTone(sine(440, 8000, 4000), 8000, [440, 1000]);
    expect(a440.freq).toBe(440);
    expect(a440.ratio).toBeGreaterThan(10);
    expect(toneLevel(sine(1000, 8000, 4000, 8000), 8000, 1000)).toBeGreaterThan(7000);
  });

  it('reports silence and noise as no tone', () => {
    const silence = new Int16Array(4000);
    expect(rms(silence)).toBe(0);
    expect(dominantTone(silence, 8000, [440, 1000]).ratio).toBe(0);
    const noise = Int16Array.from({ length: 8000 }, () => Math.round((Math.random() - 0.5) * 4000));
    expect(dominantTone(noise, 8000, [440, 1000]).ratio).toBeLessThan(3);
    expect(toneLevel(noise, 8000, 1000)).toBeLessThan(rms(noise) / 4);
  });

  it('sine is phase-continuous across frames', () => {
    const whole = sine(800, 48000, 1920);
    const parts = [sine(800, 48000, 960, 8000, 0), sine(800, 48000, 960, 8000, 960)];
    expect([...parts[0]!, ...parts[1]!]).toEqual([...whole]);
  });
});

describe('SDES keys', () => {
  it('builds, parses and splits crypto lines', () => {
    const key = newSdesKey();
    expect(Buffer.from(key, 'base64')).toHaveLength(30);
    expect(cryptoLine(1, key)).toBe(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key}`);
    expect(cryptoAttribute(2, key)).toBe(`crypto:2 AES_CM_128_HMAC_SHA1_80 inline:${key}`);
    const sdp = `v=0\r\nm=audio 4000 RTP/SAVP 111\r\na=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:${key}|2^31|1:1\r\n${cryptoLine(4, newSdesKey())}\r\n`;
    expect(parseCrypto(sdp)).toEqual({ tag: 3, suite: 'AES_CM_128_HMAC_SHA1_80', keyB64: key });
    expect(parseCrypto('v=0\r\nm=audio 4000 RTP/AVP 0\r\n')).toBeNull();
    expect(splitSdesKey(key).key).toHaveLength(16);
    expect(splitSdesKey(key).salt).toHaveLength(14);
    expect(() => splitSdesKey(Buffer.alloc(16).toString('base64'))).toThrow(/30 bytes/);
  });
});

describe('Opus codec', () => {
  it('encodes and decodes 48 kHz mono frames', () => {
    const enc = new OpusCodec();
    const dec = new OpusCodec();
    const out: number[] = [];
    for (let f = 0; f < 25; f++) out.push(...dec.decode(enc.encode(sine(800, 48000, 960, 8000, f * 960))));
    enc.close();
    dec.close();
    const pcm = skipMs(Int16Array.from(out), 48000, 100);
    expect(out).toHaveLength(25 * 960);
    expect(dominantTone(pcm, 48000, [440, 800]).freq).toBe(800);
    expect(dominantTone(pcm, 48000, [440, 800]).ratio).toBeGreaterThan(10);
  });
});

describe('RtpPeer', () => {
  it('PCMU: the receiver decodes the tone that was sent, and notices a change of tone', async () => {
    const [a, b] = await pair({ codec: 'PCMU', payloadType: 0 }, { codec: 'PCMU', payloadType: 0 });
    a.startTone(1000);
    await sleep(600);
    const first = dominantTone(skipMs(b.receivedPcm(), 8000, 100), 8000, [440, 1000]);
    expect(b.sampleRate).toBe(8000);
    expect(b.packetsReceived).toBeGreaterThan(20);
    expect(b.receivedPayloadTypes).toEqual(new Set([0]));
    expect(b.firstPacketAt).not.toBeNull();
    expect(b.remoteFrom).toEqual({ address: '127.0.0.1', port: a.port });
    expect(first.freq).toBe(1000);
    expect(first.ratio).toBeGreaterThan(10);

    a.startTone(440);
    await sleep(60);
    b.clearReceived();
    await sleep(400);
    a.stop();
    const second = dominantTone(b.receivedPcm(), 8000, [440, 1000]);
    expect(second.freq).toBe(440);
    expect(second.ratio).toBeGreaterThan(10);
  });

  it('OPUS + SRTP: decrypts and decodes the tone at 48 kHz', async () => {
    const keyA = newSdesKey();
    const keyB = newSdesKey();
    const [a, b] = await pair(
      { codec: 'OPUS', payloadType: 111, srtp: { localKeyB64: keyA, remoteKeyB64: keyB } },
      { codec: 'OPUS', payloadType: 111, srtp: { localKeyB64: keyB, remoteKeyB64: keyA } },
    );
    a.startTone(800);
    b.startTone(440);
    await sleep(600);
    expect(b.sampleRate).toBe(48000);
    expect(b.authFailures).toBe(0);
    expect(b.decodeErrors).toBe(0);
    const atB = dominantTone(skipMs(b.receivedPcm(), 48000, 100), 48000, [440, 800]);
    expect(atB.freq).toBe(800);
    expect(atB.ratio).toBeGreaterThan(10);
    const atA = dominantTone(skipMs(a.receivedPcm(), 48000, 100), 48000, [440, 800]);
    expect(atA.freq).toBe(440);
    expect(atA.ratio).toBeGreaterThan(10);
  });

  it('SRTP with the wrong key: packets fail authentication and nothing is decoded', async () => {
    const keyA = newSdesKey();
    const [a, b] = await pair(
      { codec: 'OPUS', payloadType: 111, srtp: { localKeyB64: keyA, remoteKeyB64: newSdesKey() } },
      { codec: 'OPUS', payloadType: 111, srtp: { localKeyB64: newSdesKey(), remoteKeyB64: newSdesKey() } },
    );
    a.startTone(800);
    await sleep(300);
    expect(a.packetsSent).toBeGreaterThan(5);
    expect(b.authFailures).toBeGreaterThan(5);
    expect(b.packetsReceived).toBe(0);
    expect(b.receivedPcm()).toHaveLength(0);
  });

  it('SRTP remote key learned later: early packets are retried, then audio flows', async () => {
    const keyA = newSdesKey();
    const keyB = newSdesKey();
    const [a, b] = await pair(
      { codec: 'OPUS', payloadType: 111, srtp: { localKeyB64: keyA, remoteKeyB64: keyB } },
      { codec: 'OPUS', payloadType: 111, srtp: { localKeyB64: keyB } },
    );
    const t0 = Date.now();
    a.startTone(800);
    await sleep(200);
    expect(b.authFailures).toBeGreaterThan(3);
    expect(b.packetsReceived).toBe(0);
    b.setSrtpRemoteKey(keyA);
    expect(b.authFailures).toBe(0);
    expect(b.firstPacketAt! - t0).toBeLessThan(100);
    await sleep(300);
    expect(b.authFailures).toBe(0);
    const heard = dominantTone(skipMs(b.receivedPcm(), 48000, 100), 48000, [440, 800]);
    expect(heard.freq).toBe(800);
    expect(heard.ratio).toBeGreaterThan(10);
    // a wrong key does not authenticate anything
    b.setSrtpRemoteKey(newSdesKey());
    b.clearReceived();
    await sleep(100);
    expect(b.authFailures).toBeGreaterThan(2);
    expect(b.packetsReceived).toBe(0);
  });

  it('DTMF: sends RFC 4733 events that the receiver parses in order', async () => {
    const [a, b] = await pair(
      { codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 },
      { codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 },
    );
    a.startTone(1000);
    await sleep(200);
    await a.sendDtmf('5');
    await a.sendDtmf('#', 120);
    await b.waitFor((p) => p.dtmfEvents.filter((e) => e.end).length === 6, 2000, '2 x 3 end packets');
    expect(b.dtmfDigits()).toBe('5#');
    await sleep(200);
    a.stop();
    const ends = b.dtmfEvents.filter((e) => e.end);
    expect(ends.map((e) => e.digit)).toEqual(['5', '5', '5', '#', '#', '#']);
    expect(ends.every((e) => e.payloadType === 101)).toBe(true);
    expect(ends[0]!.duration).toBe(800);
    expect(ends[3]!.duration).toBe(960);
    const first5 = b.dtmfEvents.find((e) => e.digit === '5')!;
    expect(first5.end).toBe(false);
    expect(first5.volume).toBe(10);
    expect(b.receivedPayloadTypes).toEqual(new Set([0, 101]));
    // audio and DTMF share one stream: the tone was still heard around the events
    expect(dominantTone(skipMs(b.receivedPcm(), 8000, 100), 8000, [440, 1000]).freq).toBe(1000);
  });

  it('logs each decoded audio packet (sequence, timestamp, arrival, samples), one per chunk of the received PCM', async () => {
    const [a, b] = await pair({ codec: 'PCMU', payloadType: 0 }, { codec: 'PCMU', payloadType: 0 });
    a.startTone(1000);
    await b.waitFor((p) => p.audioPackets.length >= 10, 3000, '10 packets');
    a.stop();
    const log = b.audioPackets.slice();
    expect(log.reduce((n, p) => n + p.samples, 0)).toBe(b.receivedPcm().length);
    log.slice(1).forEach((p, i) => {
      expect(p.seq).toBe((log[i]!.seq + 1) & 0xffff);
      expect((p.timestamp - log[i]!.timestamp) >>> 0).toBe(160);
      expect(p.at).toBeGreaterThanOrEqual(log[i]!.at);
    });
    b.clearReceived();
    expect(b.audioPackets).toEqual([]);
  });

  it('logs when each audio frame left, one per packet the far side got, in order', async () => {
    const [a, b] = await pair({ codec: 'PCMU', payloadType: 0 }, { codec: 'PCMU', payloadType: 0 });
    a.startTone(1000);
    await b.waitFor((p) => p.audioPackets.length >= 10, 3000, '10 packets');
    a.stop();
    await b.waitFor((p) => p.audioPackets.length === a.audioSentAt.length, 1000, 'every packet sent');
    expect(a.audioSentAt.length).toBe(a.packetsSent);
    a.audioSentAt.slice(1).forEach((at, i) => expect(at).toBeGreaterThan(a.audioSentAt[i]!));
  });

  it('puts 20 ms packets on the wire: one SSRC, +1 sequence, +160 timestamp, marker first', async () => {
    const cap = await capture();
    const a = await openPeer({ codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
    a.setRemote('127.0.0.1', cap.port);
    const t0 = Date.now();
    a.startTone(1000);
    await sleep(500);
    await a.sendDtmf('1', 60);
    a.stop();
    const elapsed = Date.now() - t0;
    await sleep(50);
    const hdr = cap.packets.map((p) => ({
      marker: (p[1]! & 0x80) !== 0,
      pt: p[1]! & 0x7f,
      seq: p.readUInt16BE(2),
      ts: p.readUInt32BE(4),
      ssrc: p.readUInt32BE(8),
      len: p.length,
    }));
    const firstEvent = hdr.findIndex((h) => h.pt === 101);
    const audio = hdr.slice(0, firstEvent);
    const events = hdr.filter((h) => h.pt === 101);
    expect(audio.length).toBeGreaterThan(20);
    expect(audio.every((h) => h.pt === 0)).toBe(true);
    // paced by the clock, not bursted: about one packet per 20 ms
    expect(hdr.length).toBeGreaterThanOrEqual(Math.floor(elapsed / 20) - 3);
    expect(hdr.length).toBeLessThanOrEqual(Math.ceil(elapsed / 20) + 3);
    expect(new Set(hdr.map((h) => h.ssrc)).size).toBe(1);
    hdr.slice(1).forEach((h, i) => expect(h.seq).toBe((hdr[i]!.seq + 1) & 0xffff));
    audio.slice(1).forEach((h, i) => expect((h.ts - audio[i]!.ts) >>> 0).toBe(160));
    expect(audio.every((h) => h.len === 12 + 160)).toBe(true);
    expect(audio.map((h) => h.marker)).toEqual(audio.map((_, i) => i === 0));
    // 60 ms event: 160, 320, then 3 x end 480; one timestamp, marker on the first packet only
    expect(events.map((e) => e.marker)).toEqual([true, false, false, false, false]);
    expect(new Set(events.map((e) => e.ts)).size).toBe(1);
    expect((events[0]!.ts - audio[audio.length - 1]!.ts) >>> 0).toBe(160);
    const payloads = cap.packets.filter((p) => (p[1]! & 0x7f) === 101).map((p) => [p[12], p[13], p.readUInt16BE(14)]);
    // digit 1, volume 10 (+ E bit 0x80), growing duration
    expect(payloads).toEqual([[1, 10, 160], [1, 10, 320], [1, 0x8a, 480], [1, 0x8a, 480], [1, 0x8a, 480]]);
  });

  it('Opus packets advance the timestamp by 960 and SRTP adds a 10-byte tag', async () => {
    const cap = await capture();
    const a = await openPeer({ codec: 'OPUS', payloadType: 111, srtp: { localKeyB64: newSdesKey(), remoteKeyB64: newSdesKey() } });
    a.setRemote('127.0.0.1', cap.port);
    a.startSilence();
    await sleep(200);
    a.stop();
    await sleep(50);
    expect(cap.packets.length).toBeGreaterThan(5);
    const ts = cap.packets.map((p) => p.readUInt32BE(4));
    ts.slice(1).forEach((t, i) => expect((t - ts[i]!) >>> 0).toBe(960));
    expect(cap.packets.every((p) => (p[1]! & 0x7f) === 111)).toBe(true);
    // an Opus packet is at least 1 byte; header 12 + payload + auth tag 10
    expect(cap.packets.every((p) => p.length >= 12 + 1 + 10)).toBe(true);
  });

  it('counts RTCP (rtcp-mux) separately from RTP', async () => {
    const b = await openPeer({ codec: 'PCMU', payloadType: 0 });
    const s = (await capture()).socket;
    const rr = Buffer.from([0x80, 201, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78]);
    await new Promise<void>((r) => s.send(rr, b.port, '127.0.0.1', () => r()));
    await b.waitFor((p) => p.rtcpReceived === 1, 1000, 'RTCP');
    expect(b.packetsReceived).toBe(0);
  });
});
