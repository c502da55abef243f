import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DtlsMediaSession } from '../../../src/media/dtls-media';
import { Rtpengine } from '../../../src/media/rtpengine/rtpengine';
import type { MediaSession } from '../../../src/media/types';
import { FakeNg } from '../../support/fakes/rtpengine';
import type { FakeMediaSession } from '../../support/fakes/media';
import { inboundCall, outboundCall, settle } from './flow-bed';
import { META_DTLS_OFFER } from '../../support/meta-dtls-sdp';

/**
 * DTLS calls (issue 11) through the same session on fakes: the Meta leg goes through
 * rtpengine (a fake ng control), FreeSWITCH gets plain RTP, teardown deletes rtpengine's call
 * on every path, and rtpengine going away ends its calls with cause rtpengine-lost.
 */

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

const META_DTLS_ANSWER = META_DTLS_OFFER.replace('a=setup:actpass', 'a=setup:passive');

const log = pino({ level: 'silent' });
const NO_INTERFACES = { meta: '', freeswitch: '' };

async function rtpengine(): Promise<{ ng: FakeNg; rtpe: Rtpengine }> {
  const ng = new FakeNg();
  const rtpe = new Rtpengine(ng, log, 1000);
  await rtpe.start();
  return { ng, rtpe };
}

const through = (rtpe: Rtpengine | null) => (fake: FakeMediaSession): MediaSession => new DtlsMediaSession(fake, rtpe, NO_INTERFACES, log);

describe('a WhatsApp user calls in DTLS mode (Meta → rtpengine → FreeSWITCH → PBX)', () => {
  it("takes Meta's DTLS offer through rtpengine, FreeSWITCH plain, our answer rtpengine's; the BYE deletes the rtpengine call", async () => {
    const { ng, rtpe } = await rtpengine();
    const bed = inboundCall({ offer: META_DTLS_OFFER, media: through(rtpe) });
    const pbxDialog = (await bed.sip.nextUac()).answer();
    await bed.running;

    const [offer] = ng.of('offer');
    expect(offer).toMatchObject({ 'from-tag': 'meta', 'transport-protocol': 'RTP/AVP', ICE: 'remove', DTLS: 'off', 'rtcp-mux': ['demux'] });
    // rtpengine 10.5 reads a=ice-lite only inside the m= section: moved there, gone from the session part
    const sent = String(offer!.sdp);
    expect(sent.indexOf('a=ice-lite')).toBeGreaterThan(sent.indexOf('m=audio'));
    expect(sent.match(/a=ice-lite/g)).toHaveLength(1);
    const callId = String(offer!['call-id']);
    const metaLeg = bed.media.byTag('meta');
    expect(metaLeg.input).toBe(FakeNg.sdp('offer', callId, 'RTP/AVP')); // FreeSWITCH answered rtpengine's plain offer
    const [answer] = ng.of('answer');
    expect(answer).toMatchObject({ 'call-id': callId, 'to-tag': 'freeswitch', sdp: metaLeg.localSdp, DTLS: 'active', ICE: 'force', SDES: ['off'], 'rtcp-mux': ['require'] });
    expect(bed.caller.res.final?.status).toBe(200);
    expect(bed.caller.res.final?.body).toBe(FakeNg.sdp('answer', callId, 'UDP/TLS/RTP/SAVPF'));
    expect(metaLeg.bridgedTo).toBe(bed.media.byTag('pbx').id);

    pbxDialog.remoteBye();
    await settle();
    expect(ng.of('delete')).toEqual([{ 'call-id': callId }]);
    expect(ng.calls.size).toBe(0);
    expect(bed.media.legs.map((l) => l.releases)).toEqual([1, 1]);
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'pbx', cause: 'bye' });
  });

  it("Meta's CANCEL while the PBX rings deletes the rtpengine call too", async () => {
    const { ng, rtpe } = await rtpengine();
    const bed = inboundCall({ offer: META_DTLS_OFFER, media: through(rtpe) });
    const uac = await bed.sip.nextUac();
    uac.provisional(180);
    expect(ng.calls.size).toBe(1);
    bed.caller.req.emitCancel();
    await settle();
    uac.fail(487, 'Request Terminated');
    await bed.running;
    await settle();
    expect(ng.calls.size).toBe(0);
    expect(ng.of('delete')).toHaveLength(1);
    expect(bed.cdrs[0]).toMatchObject({ cause: 'cancel', sip_status: 487 });
  });

  it('a failed PBX call deletes the rtpengine call', async () => {
    const { ng, rtpe } = await rtpengine();
    const bed = inboundCall({ offer: META_DTLS_OFFER, media: through(rtpe) });
    (await bed.sip.nextUac()).fail(486, 'Busy Here');
    await bed.running;
    await settle();
    expect(bed.caller.res.statuses).toEqual([486]);
    expect(ng.calls.size).toBe(0);
    expect(bed.media.legs.map((l) => l.releases)).toEqual([1, 1]);
  });

  it('rtpengine refusing the offer: 503 to Meta, no INVITE to the PBX, every FreeSWITCH leg released', async () => {
    const { ng, rtpe } = await rtpengine();
    ng.failNext = 'offer';
    const bed = inboundCall({ offer: META_DTLS_OFFER, media: through(rtpe) });
    await bed.running;
    await settle();
    expect(bed.caller.res.statuses).toEqual([503]);
    expect(bed.sip.uacs).toHaveLength(0);
    expect(bed.media.legs.every((l) => l.releases === 1)).toBe(true);
    expect(bed.media.legs.map((l) => l.options.tag)).toEqual(['pbx']); // no answering leg was ever made
    expect(bed.cdrs[0]?.cause).toMatch(/^media-error: rtpengine offer/);
  });

  it('rtpengine failing its answer: the call is refused and the rtpengine call and the FreeSWITCH leg are released', async () => {
    const { ng, rtpe } = await rtpengine();
    ng.failNext = 'answer';
    const bed = inboundCall({ offer: META_DTLS_OFFER, media: through(rtpe) });
    await bed.running;
    await settle();
    expect(bed.caller.res.statuses).toEqual([503]);
    expect(ng.calls.size).toBe(0);
    expect(bed.media.byTag('meta').releases).toBe(1);
  });

  it('rtpengine lost mid-call: both sides get a BYE within 5 s, CDR cause rtpengine-lost', async () => {
    const { ng, rtpe } = await rtpengine();
    const bed = inboundCall({ offer: META_DTLS_OFFER, media: through(rtpe) });
    const pbxDialog = (await bed.sip.nextUac()).answer();
    await bed.running;
    const metaDialog = bed.sip.uasDialogs[0]!;
    ng.down = true;
    await vi.advanceTimersByTimeAsync(5000);
    expect(rtpe.up).toBe(false);
    expect(pbxDialog.byes).toHaveLength(1);
    expect(metaDialog.byes).toHaveLength(1);
    expect(bed.media.legs.map((l) => l.releases)).toEqual([1, 1]);
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'gateway', cause: 'rtpengine-lost' });
  });

  it('an SDES call never touches rtpengine', async () => {
    const { ng, rtpe } = await rtpengine();
    const bed = inboundCall({ media: through(rtpe) });
    const pbxDialog = (await bed.sip.nextUac()).answer();
    await bed.running;
    pbxDialog.remoteBye();
    await settle();
    expect(ng.requests.map((r) => r.command)).toEqual(['ping']);
    expect(bed.cdrs[0]).toMatchObject({ cause: 'bye' });
  });

  it('an SDES call goes on while rtpengine is lost', async () => {
    const { ng, rtpe } = await rtpengine();
    const bed = inboundCall({ media: through(rtpe) });
    (await bed.sip.nextUac()).answer();
    await bed.running;
    ng.down = true;
    await vi.advanceTimersByTimeAsync(5000);
    expect(rtpe.up).toBe(false);
    expect(bed.cdrs).toHaveLength(0);
    expect(bed.registry.size).toBe(1);
  });
});

describe('an agent calls from a number in DTLS mode (PBX → FreeSWITCH → rtpengine → Meta)', () => {
  it("offers Meta rtpengine's DTLS SDP, trimmed; Meta's answer reaches FreeSWITCH through rtpengine", async () => {
    const { ng, rtpe } = await rtpengine();
    const bed = outboundCall({ business: { srtp: 'dtls' }, media: through(rtpe) });
    const uac = await bed.sip.nextUac();
    const metaLeg = bed.media.byTag('meta');
    expect(metaLeg.input).toMatchObject({ srtp: false }); // FreeSWITCH offers plain RTP to rtpengine
    const [offer] = ng.of('offer');
    expect(offer).toMatchObject({ 'from-tag': 'freeswitch', sdp: metaLeg.localSdp, 'transport-protocol': 'UDP/TLS/RTP/SAVPF', ICE: 'force', DTLS: 'active', SDES: ['off'], 'rtcp-mux': ['require'] });
    const callId = String(offer!['call-id']);
    // rtpengine's offer, trimmed to Opus and telephone-event/8000 (meta-offer-out.ts)
    expect(uac.opts.localSdp).toMatch(/^m=audio 42000 UDP\/TLS\/RTP\/SAVPF 111 126\r$/m);
    expect(uac.opts.localSdp).toContain('a=fingerprint:');
    expect(uac.opts.localSdp).not.toContain('a=setup:passive');

    uac.answer(META_DTLS_ANSWER);
    await bed.running;
    const [answer] = ng.of('answer');
    expect(answer).toMatchObject({ 'call-id': callId, 'to-tag': 'meta', 'transport-protocol': 'RTP/AVP', ICE: 'remove', DTLS: 'off' });
    const sent = String(answer!.sdp);
    expect(sent.indexOf('a=ice-lite')).toBeGreaterThan(sent.indexOf('m=audio'));
    expect(metaLeg.remoteSdps).toEqual([FakeNg.sdp('answer', callId, 'RTP/AVP')]);
    expect(bed.caller.res.final?.status).toBe(200);

    bed.sip.uasDialogs[0]!.remoteBye();
    await settle();
    expect(ng.calls.size).toBe(0);
    expect(bed.media.legs.map((l) => l.releases)).toEqual([1, 1]);
  });

  it("the PBX's CANCEL while Meta rings deletes the rtpengine call", async () => {
    const { ng, rtpe } = await rtpengine();
    const bed = outboundCall({ business: { srtp: 'dtls' }, media: through(rtpe) });
    const uac = await bed.sip.nextUac();
    uac.provisional(180);
    bed.caller.req.emitCancel();
    await settle();
    uac.fail(487, 'Request Terminated');
    await bed.running;
    await settle();
    expect(ng.of('delete')).toHaveLength(1);
    expect(ng.calls.size).toBe(0);
  });

  it('rtpengine down: 503 to the PBX and nothing to Meta', async () => {
    const { ng, rtpe } = await rtpengine();
    ng.down = true;
    await vi.advanceTimersByTimeAsync(2000);
    const bed = outboundCall({ business: { srtp: 'dtls' }, media: through(rtpe) });
    await bed.running;
    await settle();
    expect(bed.caller.res.statuses).toEqual([503]);
    expect(bed.sip.uacs).toHaveLength(0);
    expect(bed.media.legs.every((l) => l.releases === 1)).toBe(true);
  });

  it('no rtpengine configured: 503 to the PBX and nothing to Meta', async () => {
    const bed = outboundCall({ business: { srtp: 'dtls' }, media: through(null) });
    await bed.running;
    await settle();
    expect(bed.caller.res.statuses).toEqual([503]);
    expect(bed.sip.uacs).toHaveLength(0);
  });

  it('a number in SDES mode offers FreeSWITCH\'s SDES offer, rtpengine untouched', async () => {
    const { ng, rtpe } = await rtpengine();
    const bed = outboundCall({ media: through(rtpe) });
    await bed.sip.nextUac();
    expect(bed.media.byTag('meta').input).toMatchObject({ srtp: true, keyExchange: 'sdes' });
    expect(ng.requests.map((r) => r.command)).toEqual(['ping']);
  });
});
