/**
 * The Meta test peer's DTLS-SRTP / ICE-lite mode (issue 11, test bed), proven without the
 * gateway: a libwebrtc endpoint (@roamhq/wrtc: full ICE, BoringSSL, libsrtp), which shares
 * no code with the peer's werift-dtls server and own STUN, completes ICE and DTLS against
 * it on 127.0.0.1 in both offer/answer directions, and audio goes both ways.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseDtlsSdp } from '../support/dtls-sdp';
import { DtlsMediaPeer } from '../support/media/dtls-peer';
import { newDtlsIdentity } from '../support/media/dtls-srtp-server';
import { DtlsTestClient } from '../support/media/dtls-test-client';
import { WebRtcClient } from '../support/media/webrtc-client';
import { dominantTone, skipMs } from '../support/media/tone';

const loopback = (a: string) => a.startsWith('127.') || a === '::1';
const PEER_TONE = 1000;
const CLIENT_TONE = 440;

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function peer(extra: { ipv6Host?: string } = {}): Promise<DtlsMediaPeer> {
  const p = await DtlsMediaPeer.open({ host: '127.0.0.1', payloadType: 111, dtmfPayloadType: 126, acceptFrom: loopback, ...extra });
  open.push(p);
  return p;
}
function client(): WebRtcClient {
  const c = new WebRtcClient(CLIENT_TONE);
  open.push(c);
  return c;
}

/** both directions carry the other side's tone, decoded */
async function expectTonesBothWays(p: DtlsMediaPeer, c: WebRtcClient): Promise<void> {
  p.rtp.startTone(PEER_TONE);
  c.clearReceived();
  p.rtp.clearReceived();
  await p.rtp.waitFor((r) => r.receivedPcm().length >= 48000, 5000, '1 s of audio from the client');
  await c.receivedMs(1000);
  const atPeer = dominantTone(skipMs(p.rtp.receivedPcm(), 48000, 200), 48000, [CLIENT_TONE, PEER_TONE]);
  const atClient = dominantTone(skipMs(c.receivedPcm(), c.receivedRate, 200), c.receivedRate, [CLIENT_TONE, PEER_TONE]);
  expect(atPeer.freq).toBe(CLIENT_TONE);
  expect(atPeer.ratio).toBeGreaterThan(10);
  expect(atClient.freq).toBe(PEER_TONE);
  expect(atClient.ratio).toBeGreaterThan(10);
  expect(p.rtp.authFailures).toBe(0);
  expect(p.rtp.receivedSsrcs.size).toBe(1);
}

describe('DtlsMediaPeer against libwebrtc', { timeout: 20_000 }, () => {
  it("Meta's offer: the answerer is ICE controlling with USE-CANDIDATE and the DTLS client; tones both ways", async () => {
    const p = await peer();
    const offer = p.offer();
    const o = parseDtlsSdp(offer);
    expect(o).toMatchObject({ proto: 'UDP/TLS/RTP/SAVPF', iceLite: true, setup: 'actpass', rtcpMux: true, hasCrypto: false, opusPt: 111, dtmfPt: 126 });
    expect(offer).toMatch(/^a=group:BUNDLE audio\r$/m);
    expect(o.candidates).toEqual([{ ip: '127.0.0.1', port: p.rtp.port, transport: 'udp', type: 'host' }]);

    const c = client();
    const answer = await c.answer(offer);
    expect(p.acceptAnswer(answer).setup).toBe('active');
    await p.connected(5000);
    await c.reach(['connected']);
    // libwebrtc starts DTLS on its first successful check and nominates a moment later
    await p.rtp.waitFor(() => p.ice.nominated !== null, 2000, 'a check with USE-CANDIDATE');

    const checks = p.ice.checks;
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.every((k) => k.controlling && !k.controlled)).toBe(true);
    expect(checks.some((k) => k.useCandidate)).toBe(true);
    expect(p.ice.nominated?.address).toBe('127.0.0.1');
    expect(p.ice.firstCheckAt).not.toBeNull();
    expect(p.dtls.connectedAt).toBeGreaterThanOrEqual(p.ice.firstCheckAt!);
    expect(p.dtls.profile).toBe('SRTP_AES128_CM_HMAC_SHA1_80');
    expect(p.dtls.clientFingerprint).toBe(parseDtlsSdp(answer).fingerprint?.replace(/^SHA-256/i, 'sha-256'));
    expect(p.ice.rejected).toEqual([]);
    await expectTonesBothWays(p, c);
    // RFC 4733 toward libwebrtc: its NetEq plays a received event out as the DTMF tone pair
    p.rtp.stop();
    c.clearReceived();
    await p.rtp.sendDtmf('8', 400);
    await c.receivedMs(300);
    const dtmf = c.receivedPcm();
    expect(dominantTone(dtmf, c.receivedRate, [697, 770, 852, 941]).freq).toBe(852);
    expect(dominantTone(dtmf, c.receivedRate, [1209, 1336, 1477]).freq).toBe(1336);
    // rtcp-mux: libwebrtc's RTCP arrives on the one port
    await p.rtp.waitFor((r) => r.rtcpReceived > 0, 8000, 'RTCP from the client');
    expect(p.rtp.firstPacketAt).toBeGreaterThanOrEqual(p.dtls.connectedAt!);
  });

  it("the gateway's offer (actpass): the peer answers passive and ice-lite, and is the DTLS server", async () => {
    const p = await peer();
    const c = client();
    const offer = await c.offer();
    const answer = p.answer(offer);
    const a = parseDtlsSdp(answer);
    expect(a).toMatchObject({ setup: 'passive', iceLite: true, rtcpMux: true, proto: 'UDP/TLS/RTP/SAVPF', mid: parseDtlsSdp(offer).mid });
    await c.acceptAnswer(answer);
    await p.connected(5000);
    await c.reach(['connected']);
    await expectTonesBothWays(p, c);
    // libwebrtc starts DTLS on its first successful check and nominates a moment later
    expect(p.ice.checks.every((k) => k.controlling)).toBe(true);
    expect(p.ice.checks.some((k) => k.useCandidate)).toBe(true);
  });

  it('a certificate that does not match the a=fingerprint fails the handshake, and no media flows', async () => {
    const p = await peer();
    const c = client();
    const answer = await c.answer(p.offer());
    const fp = parseDtlsSdp(answer).fingerprint!;
    const last = fp.slice(-2);
    const wrong = fp.slice(0, -2) + (last === '00' ? '01' : '00');
    p.acceptAnswer(answer.replace(fp.split(' ')[1]!, wrong.split(' ')[1]!));
    p.rtp.startTone(PEER_TONE);
    await expect(p.connected(5000)).rejects.toThrow(/does not match a=fingerprint/);
    expect(p.dtls.failure).toMatch(/does not match/);
    expect(p.dtls.connectedAt).toBeNull();
    // the bad_certificate alert ends the client's handshake too
    expect(await c.reach(['failed', 'closed'], 10_000)).toBe('failed');
    expect(p.rtp.packetsSent).toBe(0);
    expect(p.rtp.packetsReceived).toBe(0);
  });
});

describe('DtlsMediaPeer with a raw DTLS client (RFC 4733 both ways, and what the peer records)', { timeout: 20_000 }, () => {
  async function rawPair(p: DtlsMediaPeer): Promise<DtlsTestClient> {
    const c = await DtlsTestClient.open(parseDtlsSdp(p.offer()), { payloadType: 111, dtmfPayloadType: 126 });
    open.push(c);
    p.acceptAnswer(c.answerSdp(111, 126));
    return c;
  }

  it('DTMF both ways, tones both ways, one SSRC each way, and the peer sends no check of its own', async () => {
    const p = await peer();
    const c = await rawPair(p);
    expect(await c.check()).toEqual({ success: true, integrity: true, errorCode: null });
    await c.connect();
    await p.connected();
    p.rtp.startTone(PEER_TONE);
    c.rtp.startTone(CLIENT_TONE);
    await p.rtp.waitFor((r) => r.receivedPcm().length >= 48000, 5000, '1 s of audio');
    await c.rtp.waitFor((r) => r.receivedPcm().length >= 48000, 5000, '1 s of audio');
    expect(dominantTone(skipMs(p.rtp.receivedPcm(), 48000, 100), 48000, [CLIENT_TONE, PEER_TONE]).freq).toBe(CLIENT_TONE);
    expect(dominantTone(skipMs(c.rtp.receivedPcm(), 48000, 100), 48000, [CLIENT_TONE, PEER_TONE]).freq).toBe(PEER_TONE);
    await c.rtp.sendDtmf('5', 120);
    await p.rtp.sendDtmf('#', 120);
    await p.rtp.waitFor((r) => r.dtmfDigits() === '5', 2000, 'DTMF 5 at the peer');
    await c.rtp.waitFor((r) => r.dtmfDigits() === '#', 2000, 'DTMF # at the client');
    expect([p.rtp.receivedSsrcs.size, c.rtp.receivedSsrcs.size]).toEqual([1, 1]);
    expect([...c.rtp.receivedSsrcs]).toEqual([p.rtp.ssrc]);
    expect([p.rtp.authFailures, c.rtp.authFailures]).toEqual([0, 0]);
    expect(c.requestsReceived).toBe(0);
    expect(p.ice.nominated).toEqual({ address: c.rtp.host, port: c.rtp.port });
  });

  it("a certificate that comes before the other side's SDP is held, then checked: the handshake completes from what was held", async () => {
    const p = await peer();
    const c = await DtlsTestClient.open(parseDtlsSdp(p.offer()), { payloadType: 111, dtmfPayloadType: 126 });
    open.push(c);
    expect((await c.check()).success).toBe(true);
    const connecting = c.connect();
    await p.rtp.waitFor(() => p.dtls.certificateBeforeSdp, 5000, 'the client certificate, held');
    const sentBefore = c.dtlsSent;
    p.acceptAnswer(c.answerSdp(111, 126));
    await connecting;
    await p.connected();
    expect(c.dtlsSent).toBe(sentBefore); // no retransmission was needed
    expect(p.dtls.failure).toBeNull();
    expect(p.dtls.clientFingerprint).toBe(c.identity.fingerprint.replace(/^SHA-256/i, 'sha-256'));
    p.rtp.startTone(PEER_TONE);
    await c.rtp.waitFor((r) => r.packetsReceived >= 10, 5000, 'media from the peer');
    expect(c.rtp.authFailures).toBe(0);
  });

  it("a client that presents a certificate without holding its key fails on the CertificateVerify", async () => {
    const p = await peer();
    const [mine, other] = [await newDtlsIdentity(), await newDtlsIdentity()];
    const c = await DtlsTestClient.open(parseDtlsSdp(p.offer()), { payloadType: 111, dtmfPayloadType: 126, identity: { ...mine, keyPem: other.keyPem } });
    open.push(c);
    p.acceptAnswer(c.answerSdp(111, 126)); // mine's fingerprint: the certificate itself matches
    await c.check();
    await expect(c.connect(1500)).rejects.toThrow(/DTLS handshake/);
    await expect(p.connected(1000)).rejects.toThrow(/CertificateVerify does not verify/);
    expect(p.dtls.clientFingerprint).toBe(mine.fingerprint);
    expect(p.dtls.connectedAt).toBeNull();
  });

  it('SRTP profiles: AEAD_AES_128_GCM when both offer it, AES128_CM_HMAC_SHA1_80 by default, no common one fails', async () => {
    const gcm = await DtlsMediaPeer.open({ host: '127.0.0.1', payloadType: 111, dtmfPayloadType: 126, profiles: ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_HMAC_SHA1_80'] });
    open.push(gcm);
    const c = await rawPair(gcm);
    await c.check();
    await c.connect(5000, [7, 1]);
    await gcm.connected();
    expect([gcm.dtls.profile, c.profile]).toEqual(['SRTP_AEAD_AES_128_GCM', 7]);
    gcm.rtp.startTone(PEER_TONE);
    c.rtp.startTone(CLIENT_TONE);
    await gcm.rtp.waitFor((r) => r.packetsReceived >= 10, 5000, 'GCM-protected media at the peer');
    await c.rtp.waitFor((r) => r.packetsReceived >= 10, 5000, 'GCM-protected media at the client');
    expect([gcm.rtp.authFailures, c.rtp.authFailures]).toEqual([0, 0]);

    const plain = await peer(); // default: AES128_CM_HMAC_SHA1_80 only
    const d = await rawPair(plain);
    await d.check();
    await expect(d.connect(1500, [7])).rejects.toThrow(/DTLS handshake/);
    expect(plain.dtls.connectedAt).toBeNull();
    expect(plain.dtls.failure).toMatch(/^DTLS error/); // werift-dtls refuses the hello with no common use_srtp profile
  });

  it('records checks as they come: without ICE-CONTROLLING or USE-CANDIDATE, with ICE-CONTROLLED; nothing nominated', async () => {
    const p = await peer();
    const c = await rawPair(p);
    expect((await c.check({ controlled: true })).success).toBe(true);
    expect((await c.check({})).success).toBe(true);
    expect(p.ice.checks.map((k) => [k.controlling, k.controlled, k.useCandidate])).toEqual([[false, true, false], [false, false, false]]);
    expect(p.ice.nominated).toBeNull();
    expect(p.ice.firstCheckAt).toBe(p.ice.checks[0]!.at);
  });

  it('a check with the wrong ice-pwd gets 401, is recorded, and validates nothing: DTLS from there is dropped', async () => {
    const p = await peer();
    const c = await rawPair(p);
    expect(await c.check({ controlling: true, useCandidate: true, pwd: 'not-the-password-at-all' })).toMatchObject({ success: false, errorCode: 401 });
    expect(p.ice.rejected).toMatchObject([{ status: 401, why: expect.stringMatching(/MESSAGE-INTEGRITY/) }]);
    expect(p.ice.checks).toEqual([]);
    await expect(c.connect(1000)).rejects.toThrow(/DTLS handshake/);
    expect(p.unvalidated).toBeGreaterThan(0);
    expect(p.dtls.connectedAt).toBeNull();
  });
});

describe('DtlsMediaPeer with an IPv6 candidate', { timeout: 20_000 }, () => {
  it('offers 127.0.0.1 and ::1 on one port; a client that can reach only ::1 connects there', async () => {
    const p = await DtlsMediaPeer.open({ host: '127.0.0.1', ipv6Host: '::1', payloadType: 111, dtmfPayloadType: 126, acceptFrom: (a) => a === '::1' });
    open.push(p);
    const offer = parseDtlsSdp(p.offer());
    expect(offer.candidates.map((k) => k.ip)).toEqual(['127.0.0.1', '::1']);
    expect(offer.candidates[1]!.port).toBe(offer.candidates[0]!.port);
    const c = client();
    p.acceptAnswer(await c.answer(p.offer()));
    await p.connected();
    await expectTonesBothWays(p, c);
    expect(p.ice.nominated?.address).toBe('::1');
    expect(p.ice.checks.every((k) => k.from.address === '::1')).toBe(true);
  });
});

describe("the DTLS SDP builders, against Meta's real offer (meta-docs, sip-guide excerpt)", { timeout: 20_000 }, () => {
  // the line kinds of the real offer, in order (its secrets are redacted in the docs)
  const REAL = ['v', 'o', 's', 't', 'a=group', 'a=msid-semantic', 'a=ice-lite', 'm', 'c', 'a=rtcp', 'a=candidate', 'a=candidate',
    'a=ice-ufrag', 'a=ice-pwd', 'a=fingerprint', 'a=setup', 'a=mid', 'a=sendrecv', 'a=msid', 'a=rtcp-mux', 'a=rtpmap', 'a=rtcp-fb',
    'a=fmtp', 'a=rtpmap', 'a=maxptime', 'a=ptime', 'a=ssrc'];
  const kinds = (sdp: string) => sdp.split('\r\n').filter(Boolean).map((l) => (l.startsWith('a=') ? l.split(/[:\s]/)[0]! : l[0]!));

  it('the offer has the real one\'s lines in its order; the answer differs in setup only, and takes the offer\'s mid', async () => {
    const p = await DtlsMediaPeer.open({ host: '127.0.0.1', ipv6Host: '::1', payloadType: 111, dtmfPayloadType: 126 });
    open.push(p);
    const offer = p.offer();
    expect(kinds(offer)).toEqual(REAL);
    expect(offer).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 111 126\r$/m);
    expect(offer).toMatch(/^a=ice-pwd:[A-Za-z0-9]{24}\r$/m);
    expect(offer).toMatch(/^a=fingerprint:sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}\r$/m);
    const gatewayOffer = offer.replace('a=group:BUNDLE audio', 'a=group:BUNDLE 0').replace('a=mid:audio', 'a=mid:0').replace(/ 111 126\r/, ' 96 101\r')
      .replace(/a=rtpmap:111/, 'a=rtpmap:96').replace(/a=rtpmap:126/, 'a=rtpmap:101');
    const q = await DtlsMediaPeer.open({ host: '127.0.0.1', payloadType: 96, dtmfPayloadType: 126 });
    open.push(q);
    const answer = q.answer(gatewayOffer);
    expect(parseDtlsSdp(answer)).toMatchObject({ setup: 'passive', mid: '0', opusPt: 96, dtmfPt: 101, iceLite: true });
    expect(answer).toMatch(/^a=group:BUNDLE 0\r$/m);
    expect(() => p.answer(gatewayOffer)).toThrow(/opus payload type is 96/);
  });
});
