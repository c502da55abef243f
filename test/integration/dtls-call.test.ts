import { describe, expect, it } from 'vitest';
import { DtlsMediaPeer } from '../support/media/dtls-peer';
import { parseDtlsSdp } from '../support/dtls-sdp';
import { RtpPeer } from '../support/media/rtp-peer';
import { dominantTone } from '../support/media/tone';
import { findRtpengine } from '../support/rtpengine';
import { mediaTarget, pbxSdp } from '../support/sdp';
import { header, randomToken } from '../support/sip/message';
import { SipPeer } from '../support/sip/peer';
import { TEST_BED } from '../support/servers';
import { dtlsInbound as dtlsInboundCall, useDtlsBed } from './dtls-flows';
import { establishInbound, metaInviteWithAuth } from './flows';
import { BUSINESS, cdrLines, gatewayYaml, testBed, until } from './harness';

/**
 * Issue 11: DTLS-SRTP + ICE toward Meta through the real rtpengine, drachtio-server and
 * FreeSWITCH, against a Meta media peer that is ICE-lite and a DTLS server (werift,
 * test/support/media/dtls-peer.ts). rtpengine is started here (test/support/rtpengine.ts).
 */
const rtpengineBin = findRtpengine();
if (testBed && !rtpengineBin) process.stdout.write('SKIPPED: DTLS integration tests (issue 11): rtpengine not found (apt-get install rtpengine-daemon, or RTPENGINE_BIN)\n');

/** a second number, in DTLS mode at Meta; the first (BUSINESS) stays SDES */
const DTLS_NUMBER = '+12145551870';
/** /readyz, which says whether rtpengine answers */
const HTTP_PORT = 18311;

function yaml(): string {
  const base = gatewayYaml(`rtpengine:\n  address: 127.0.0.1:22322\n  ping_interval_ms: 500\n`).replace('http:\n  port: 0\n', `http:\n  port: ${HTTP_PORT}\n`);
  const dtlsNumber = `  - number: "${DTLS_NUMBER}"\n    sip_password_env: TEST_META_PASSWORD\n    pbx: main\n    destination: "1002"\n    country_rule: allow\n    srtp: dtls\npbxs:\n`;
  // the PBX's agent calls come from the DTLS number
  return base.replace('pbxs:\n', dtlsNumber).replace(`business_number: "${BUSINESS}"`, `business_number: "${DTLS_NUMBER}"`);
}

describe.skipIf(!testBed || !rtpengineBin)('DTLS-SRTP calls with Meta through rtpengine (issue 11)', () => {
  const dtlsBed = useDtlsBed('dtls-call', yaml(), rtpengineBin!);
  const { bed, peers } = dtlsBed;

  async function readyz(): Promise<{ rtpengine?: string }> {
    const r = await fetch(`http://127.0.0.1:${bed.gw.app.httpPort()}/readyz`);
    return (await r.json()) as { rtpengine?: string };
  }

  const dtlsInbound = (business = DTLS_NUMBER) => dtlsInboundCall(bed, peers, business);

  /** what acceptance 1 and 2 ask of the media: ICE, DTLS, first packet, tones, DTMF, one SSRC */
  async function checkMedia(peer: DtlsMediaPeer, pbxRtp: RtpPeer, okAt: number, dtmfPt: number): Promise<void> {
    await peer.connected(5000);
    expect(peer.dtls.failure).toBeNull();
    expect(peer.dtls.connectedAt! - okAt).toBeLessThan(1000);
    // rtpengine's checks: ICE-CONTROLLING on every one, USE-CANDIDATE to nominate
    expect(peer.ice.checks.length).toBeGreaterThan(0);
    expect(peer.ice.checks.every((c) => c.controlling && !c.controlled)).toBe(true);
    // rtpengine nominates after its checks succeeded, at most a few hundred ms later
    await until(() => peer.ice.checks.some((c) => c.useCandidate), 2000, 'a USE-CANDIDATE check');
    expect(peer.ice.checks.every((c) => c.controlling && !c.controlled)).toBe(true);
    // our side's first packet, before Meta's peer sends anything
    await peer.rtp.waitFor((p) => p.firstPacketAt !== null, 2000, 'our first packet at Meta');
    expect(peer.rtp.firstPacketAt! - okAt).toBeLessThan(1000);
    peer.rtp.startTone(600);
    await new Promise((r) => setTimeout(r, 2000));
    const atMeta = peer.rtp.receivedPcm();
    const atPbx = pbxRtp.receivedPcm();
    expect(dominantTone(atMeta.subarray(Math.floor(atMeta.length / 3)), peer.rtp.sampleRate, [600, 1000])).toMatchObject({ freq: 1000 });
    expect(dominantTone(atPbx.subarray(Math.floor(atPbx.length / 3)), pbxRtp.sampleRate, [600, 1000])).toMatchObject({ freq: 600 });
    expect(peer.rtp.authFailures).toBe(0);
    expect(peer.unvalidated).toBe(0);
    // DTMF both ways, RFC 4733 on each side's payload type
    await peer.rtp.sendDtmf('5');
    await pbxRtp.waitFor((p) => p.dtmfDigits().includes('5'), 5000, 'Meta digit at the PBX');
    await pbxRtp.sendDtmf('7');
    await peer.rtp.waitFor((p) => p.dtmfDigits().includes('7'), 5000, 'PBX digit at Meta');
    expect(new Set(peer.rtp.dtmfEvents.map((e) => e.payloadType))).toEqual(new Set([dtmfPt]));
    expect(peer.rtp.receivedSsrcs.size).toBe(1);
  }

  it('inbound: our answer is setup:active with rtpengine ICE, ICE controlling, DTLS in 1 s, tones and DTMF both ways', async () => {
    const c = await dtlsInbound();
    expect(c.remote).toMatchObject({ proto: 'UDP/TLS/RTP/SAVPF', setup: 'active', rtcpMux: true, hasCrypto: false });
    expect(c.remote.fingerprint).toMatch(/^sha-256 /);
    expect(c.remote.ufrag).toBeTruthy();
    expect(c.remote.candidates.some((x) => x.ip === '127.0.0.1')).toBe(true);
    // FreeSWITCH's side is plain RTP: the PBX leg is as it always was
    expect(c.inv.msg.body).toMatch(/^m=audio \d+ RTP\/AVP 0 /m);
    expect((await dtlsBed.rtpe().sessions()).length).toBe(1);
    await checkMedia(c.peer, c.pbxRtp, c.okAt, 126);

    expect((await bed.meta.request(bed.meta.inDialog(c.metaDialog, 'BYE'))).status).toBe(200);
    await bed.pbx.waitRequest('BYE', header(c.inv.msg, 'Call-ID')!);
    await until(() => cdrLines(bed.gw).some((r) => r.meta_call_id === c.attempt.callId), 5000, 'CDR');
    expect(cdrLines(bed.gw).find((r) => r.meta_call_id === c.attempt.callId)).toMatchObject({ ended_by: 'meta', cause: 'bye', business_number: DTLS_NUMBER });
  });

  it('business-initiated from a DTLS number: our offer is actpass or active, never passive; the same media checks', async () => {
    const pbxRtp = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
    bed.rtp.push(pbxRtp);
    const pbxInvite = bed.pbx.buildInvite('+12195550714', pbxSdp({ ip: TEST_BED.pbx.host, port: pbxRtp.port }));
    bed.pbx.send(pbxInvite);
    const first = await bed.meta.nextInvite();
    bed.meta.challenge(first, randomToken('n'));
    const second = await bed.meta.nextInvite();
    const offer = parseDtlsSdp(second.msg.body);
    expect(offer).toMatchObject({ proto: 'UDP/TLS/RTP/SAVPF', rtcpMux: true, hasCrypto: false, opusPt: expect.any(Number), dtmfPt: expect.any(Number) });
    expect(['actpass', 'active']).toContain(offer.setup);
    expect(offer.fingerprint).toMatch(/^sha-256 /);
    expect(second.msg.body).not.toMatch(/PCMU|a=crypto/);
    const peer = await DtlsMediaPeer.open({ host: TEST_BED.meta.host, payloadType: offer.opusPt!, dtmfPayloadType: offer.dtmfPt! });
    peers.push(peer);
    const metaDialog = bed.meta.answerWith(second, peer.answer(second.msg.body), bed.meta.contact('+12195550714'));
    const okAt = Date.now();
    const ok = await bed.pbx.waitResponse(header(pbxInvite, 'Call-ID')!, 101, (s) => s >= 200);
    expect(ok.msg.status).toBe(200);
    const pbxDialog = SipPeer.uacDialog(pbxInvite, ok.msg);
    bed.pbx.ack2xx(pbxDialog, 101);
    const fs = mediaTarget(ok.msg.body);
    pbxRtp.setRemote(fs.ip, fs.port);
    pbxRtp.startTone(1000);
    await checkMedia(peer, pbxRtp, okAt, offer.dtmfPt!);
    expect(peer.dtls.clientFingerprint).toBe(offer.fingerprint);

    expect((await bed.pbx.request(bed.pbx.inDialog(pbxDialog, 'BYE'))).status).toBe(200);
    await bed.meta.waitRequest('BYE', header(second.msg, 'Call-ID')!);
    void metaDialog;
  });

  it('one number in SDES and one in DTLS: calls on both at the same time, each with its own media', async () => {
    const [sdes, dtls] = await Promise.all([establishInbound(bed.meta, bed.pbx, bed.rtp), dtlsInbound()]);
    expect(sdes.ok.body).toMatch(/^m=audio \d+ RTP\/SAVP /m);
    expect(dtls.remote.setup).toBe('active');
    await dtls.peer.connected(5000);
    sdes.pbxRtp.startTone(1000);
    sdes.metaRtp.startTone(600);
    dtls.peer.rtp.startTone(600);
    await new Promise((r) => setTimeout(r, 2000));
    for (const [atMeta, rate] of [[sdes.metaRtp.receivedPcm(), sdes.metaRtp.sampleRate], [dtls.peer.rtp.receivedPcm(), dtls.peer.rtp.sampleRate]] as const) {
      expect(dominantTone(atMeta.subarray(Math.floor(atMeta.length / 3)), rate, [600, 1000])).toMatchObject({ freq: 1000 });
    }
    for (const pbxRtp of [sdes.pbxRtp, dtls.pbxRtp]) {
      const pcm = pbxRtp.receivedPcm();
      expect(dominantTone(pcm.subarray(Math.floor(pcm.length / 3)), pbxRtp.sampleRate, [600, 1000])).toMatchObject({ freq: 600 });
    }
    expect((await dtlsBed.rtpe().sessions()).length).toBe(1); // the SDES call has none
    for (const d of [sdes.metaDialog, dtls.metaDialog]) expect((await bed.meta.request(bed.meta.inDialog(d, 'BYE'))).status).toBe(200);
  });

  it('rtpengine stopped mid-call: the DTLS call ends on both sides within 5 s (rtpengine-lost), new DTLS calls get 503 until it is back, SDES goes on', async () => {
    const sdes = await establishInbound(bed.meta, bed.pbx, bed.rtp);
    const dtls = await dtlsInbound();
    await dtls.peer.connected(5000);
    expect((await readyz()).rtpengine).toBe('up');

    const stoppedAt = Date.now();
    await dtlsBed.rtpe().kill();
    const pbxBye = bed.pbx.waitRequest('BYE', header(dtls.inv.msg, 'Call-ID')!, 5000);
    const metaBye = bed.meta.waitRequest('BYE', dtls.attempt.callId, 5000);
    await Promise.all([pbxBye, metaBye]);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    // the CDR comes once teardown is over: the ng delete to the dead rtpengine times out first (1 s)
    await until(() => cdrLines(bed.gw).some((r) => r.meta_call_id === dtls.attempt.callId), 10_000, 'CDR of the DTLS call');
    expect(cdrLines(bed.gw).find((r) => r.meta_call_id === dtls.attempt.callId)).toMatchObject({ ended_by: 'gateway', cause: 'rtpengine-lost' });
    expect((await readyz()).rtpengine).toBe('down');

    // a new DTLS call while rtpengine is away: 503, nothing to the PBX
    const peer = await DtlsMediaPeer.open({ host: TEST_BED.meta.host, payloadType: 111, dtmfPayloadType: 126 });
    peers.push(peer);
    const refused = await metaInviteWithAuth(bed.meta, peer.offer(), { business: DTLS_NUMBER });
    const final = await bed.meta.waitResponse(refused.callId, refused.cseq, (s) => s >= 200);
    expect(final.msg.status).toBe(503);
    bed.meta.ackNon2xx(refused.invite, final.msg);

    // the SDES call never noticed
    sdes.pbxRtp.startTone(1000);
    sdes.metaRtp.startTone(600);
    const before = sdes.metaRtp.receivedPcm().length;
    await new Promise((r) => setTimeout(r, 1500));
    const atMeta = sdes.metaRtp.receivedPcm().subarray(before);
    expect(dominantTone(atMeta, sdes.metaRtp.sampleRate, [600, 1000])).toMatchObject({ freq: 1000 });
    expect(bed.gw.app.registry.size).toBe(1);

    // rtpengine back: DTLS calls are taken again
    await dtlsBed.rtpe().restart();
    await until(async () => (await readyz()).rtpengine === 'up', 5000, 'rtpengine up at /readyz');
    const again = await dtlsInbound();
    await again.peer.connected(5000);
    for (const d of [sdes.metaDialog, again.metaDialog]) expect((await bed.meta.request(bed.meta.inDialog(d, 'BYE'))).status).toBe(200);
  });
});
