import { describe, expect, it } from 'vitest';
import { RtpPeer } from '../support/media/rtp-peer';
import { dominantTone } from '../support/media/tone';
import { mediaTarget, pbxSdp } from '../support/sdp';
import { header, randomToken } from '../support/sip/message';
import { TEST_BED } from '../support/servers';
import { establishInbound } from './flows';
import { cdrFor, testBed, useCallBed, WA_USER } from './harness';

/**
 * Issue 9, item 4: a blind transfer the PBX asks for with REFER is carried out inside the
 * gateway (Meta takes no REFER and no re-INVITE): the target on the same PBX is INVITEd from
 * a new FreeSWITCH leg, the Meta leg is bridged to it, the PBX gets NOTIFYs, the old PBX leg
 * its BYE — and Meta receives nothing.
 */
const PBX = TEST_BED.pbx;
const MEETS = 0.3; // of the audio collected, the part after this fraction is judged (FreeSWITCH's jitter buffer settles first)

describe.skipIf(!testBed)('blind transfer from the PBX', () => {
  const bed = useCallBed('transfer');

  type Call = Awaited<ReturnType<typeof establishInbound>>;

  /** each side's PCM after `ms` more of audio: waits for the samples, no fixed sleep */
  async function collect(peers: RtpPeer[], ms: number): Promise<Int16Array[]> {
    for (const p of peers) p.clearReceived();
    await Promise.all(peers.map((p) => p.waitFor((x) => x.receivedPcm().length >= (x.sampleRate * ms) / 1000, ms + 5000, `${ms} ms of audio`)));
    return peers.map((p) => {
      const pcm = p.receivedPcm();
      return pcm.subarray(Math.floor(pcm.length * MEETS));
    });
  }

  /** `a` hears `freqA`'s tone from the other side and `b` hears `freqB`'s */
  async function expectTones(a: RtpPeer, heardByA: number, b: RtpPeer, heardByB: number, candidates: number[]): Promise<void> {
    const [atA, atB] = await collect([a, b], 1500);
    const toneA = dominantTone(atA!, a.sampleRate, candidates);
    const toneB = dominantTone(atB!, b.sampleRate, candidates);
    expect({ freq: toneA.freq, clear: toneA.ratio > 5 }).toEqual({ freq: heardByA, clear: true });
    expect({ freq: toneB.freq, clear: toneB.ratio > 5 }).toEqual({ freq: heardByB, clear: true });
  }

  /** requests Meta received for any call since `since` */
  const metaRequestsSince = (since: number) => bed.meta.received.filter((r) => r.at >= since && r.msg.method !== undefined).map((r) => `${r.msg.method} ${header(r.msg, 'Call-ID')}`);

  async function hangUpFromMeta(c: Call): Promise<void> {
    expect(await bed.meta.request(bed.meta.inDialog(c.metaDialog, 'BYE'))).toMatchObject({ status: 200 });
  }

  it('REFER to 1002: 202, the gateway INVITEs 1002, NOTIFY 100 then 200, BYE to 1001; the WhatsApp caller and 1002 hear each other; Meta receives nothing', async () => {
    const c = await establishInbound(bed.meta, bed.pbx, bed.rtp);
    const oldCallId = header(c.inv.msg, 'Call-ID')!;
    c.metaRtp.startTone(600);
    c.pbxRtp.startTone(1000);
    await expectTones(c.metaRtp, 1000, c.pbxRtp, 600, [600, 1000, 1400]);

    const since = Date.now();
    const accepted = await bed.pbx.refer(c.pbxDialog, `<sip:1002@${PBX.host}:${PBX.port}>`);
    expect(accepted.status).toBe(202);

    // the target: a new INVITE from the gateway, caller ID still the WhatsApp user
    const inv = await bed.pbx.nextInviteTo('1002');
    expect(header(inv.msg, 'Call-ID')).not.toBe(oldCallId);
    expect(header(inv.msg, 'From')).toContain(`sip:${WA_USER}@`);
    expect(header(inv.msg, 'Referred-By')).toContain('sip:1001@');
    expect(inv.msg.body).toMatch(/^m=audio \d+ RTP\/AVP 0 /m);
    const ext1002 = await RtpPeer.open({ host: PBX.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
    bed.rtp.push(ext1002);
    const fs = mediaTarget(inv.msg.body);
    ext1002.setRemote(fs.ip, fs.port);
    const toTag = randomToken('x');
    bed.pbx.ringAt(inv, toTag);
    const answeredAt = Date.now();
    const newDialog = bed.pbx.answer(inv, pbxSdp({ ip: PBX.host, port: ext1002.port }), toTag);
    ext1002.startTone(1400);

    // the transferor: NOTIFY 100 Trying, NOTIFY 200 OK (subscription ended), then our BYE
    const trying = await bed.pbx.waitRequest('NOTIFY', oldCallId);
    const done = await bed.pbx.waitRequest('NOTIFY', oldCallId);
    for (const n of [trying, done]) {
      expect(header(n.msg, 'Event')).toMatch(/^refer(;id=\d+)?$/);
      expect(header(n.msg, 'Content-Type')).toBe('message/sipfrag;version=2.0');
    }
    expect([trying, done].map((n) => `${header(n.msg, 'Subscription-State')} | ${n.msg.body.trim()}`)).toEqual([
      'active;expires=60 | SIP/2.0 100 Trying',
      'terminated;reason=noresource | SIP/2.0 200 OK',
    ]);
    const bye = await bed.pbx.waitRequest('BYE', oldCallId);
    expect(bye.at).toBeGreaterThanOrEqual(done.at);
    c.pbxRtp.stop();

    // audio: the WhatsApp caller hears 1002 (1400 Hz), 1002 hears the caller (600 Hz)
    await expectTones(c.metaRtp, 1400, ext1002, 600, [600, 1000, 1400]);
    expect(c.metaRtp.authFailures).toBe(0);
    expect(metaRequestsSince(since)).toEqual([]);

    // 1002 is the PBX side now: Meta's BYE reaches it, and 1001 gets nothing more
    const byesTo1001 = bed.pbx.requests('BYE', oldCallId).length;
    await hangUpFromMeta(c);
    await bed.pbx.waitRequest('BYE', newDialog.callId);
    expect(bed.pbx.requests('BYE', oldCallId)).toHaveLength(byesTo1001);
    const cdr = await cdrFor(bed.gw, c.attempt.callId);
    // the call's first PBX leg stays pbx_call_id; the transfer is recorded beside it
    expect(cdr).toMatchObject({ ended_by: 'meta', sip_status: 200, pbx_call_id: oldCallId, pbx_destination: '1001', transferred_to: '1002', transfer_pbx_call_id: newDialog.callId });
    const at = Date.parse(cdr.transferred_at ?? '');
    expect(at).toBeGreaterThanOrEqual(answeredAt);
    expect(at).toBeLessThanOrEqual(bye.at);
    expect(at).toBeLessThanOrEqual(Date.parse(cdr.end_at));
  }, 30_000);

  it("the target's BYE ends the call after a transfer: Meta gets its BYE", async () => {
    const c = await establishInbound(bed.meta, bed.pbx, bed.rtp);
    expect((await bed.pbx.refer(c.pbxDialog, `<sip:1002@${PBX.host}>`)).status).toBe(202);
    const inv = await bed.pbx.nextInviteTo('1002');
    const ext1002 = await RtpPeer.open({ host: PBX.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
    bed.rtp.push(ext1002);
    const newDialog = bed.pbx.answer(inv, pbxSdp({ ip: PBX.host, port: ext1002.port }));
    await bed.pbx.waitRequest('BYE', header(c.inv.msg, 'Call-ID')!);
    expect((await bed.pbx.request(bed.pbx.inDialog(newDialog, 'BYE'))).status).toBe(200);
    await bed.meta.waitRequest('BYE', c.attempt.callId);
    expect(await cdrFor(bed.gw, c.attempt.callId)).toMatchObject({ ended_by: 'pbx', cause: 'bye' });
  }, 30_000);

  it('a busy target: NOTIFY 486, and the caller and 1001 still hear each other', async () => {
    const c = await establishInbound(bed.meta, bed.pbx, bed.rtp);
    const oldCallId = header(c.inv.msg, 'Call-ID')!;
    c.metaRtp.startTone(600);
    c.pbxRtp.startTone(1000);
    const since = Date.now();
    expect((await bed.pbx.refer(c.pbxDialog, `<sip:1002@${PBX.host}>`)).status).toBe(202);
    bed.pbx.reject(await bed.pbx.nextInviteTo('1002'), 486, 'Busy Here');
    await bed.pbx.waitRequest('NOTIFY', oldCallId);
    const final = await bed.pbx.waitRequest('NOTIFY', oldCallId);
    expect(final.msg.body.trim()).toBe('SIP/2.0 486 Busy Here');
    expect(header(final.msg, 'Subscription-State')).toBe('terminated;reason=noresource');
    await expectTones(c.metaRtp, 1000, c.pbxRtp, 600, [600, 1000, 1400]);
    expect(bed.pbx.requests('BYE', oldCallId)).toHaveLength(0);
    expect(metaRequestsSince(since)).toEqual([]);
    await hangUpFromMeta(c);
    await bed.pbx.waitRequest('BYE', oldCallId);
    expect(await cdrFor(bed.gw, c.attempt.callId)).toMatchObject({ pbx_call_id: oldCallId, transferred_to: null, transfer_pbx_call_id: null, transferred_at: null });
  }, 30_000);

  it('an attended transfer (Refer-To with Replaces): 603, nothing sent, the call goes on', async () => {
    const c = await establishInbound(bed.meta, bed.pbx, bed.rtp);
    const since = Date.now();
    const replaces = encodeURIComponent(`other-call@${PBX.host};to-tag=a1;from-tag=b2`);
    const resp = await bed.pbx.refer(c.pbxDialog, `<sip:1002@${PBX.host}?Replaces=${replaces}>`);
    expect(resp.status).toBe(603);
    c.metaRtp.startTone(600);
    c.pbxRtp.startTone(1000);
    await expectTones(c.metaRtp, 1000, c.pbxRtp, 600, [600, 1000, 1400]);
    const toPbx = bed.pbx.received.filter((r) => r.at >= since && r.msg.method !== undefined).map((r) => r.msg.method);
    expect(toPbx.filter((m) => m === 'INVITE' || m === 'NOTIFY')).toEqual([]);
    expect(metaRequestsSince(since)).toEqual([]);
    await hangUpFromMeta(c);
  }, 30_000);
});
