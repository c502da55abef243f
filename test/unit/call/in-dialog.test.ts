import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sipError } from '../../support/fakes/sip';
import { inboundCall, outboundCall, settle } from './flow-bed';

/**
 * In-dialog requests from the PBX on a call through typed fakes (issue 9, item 3):
 * re-INVITE and UPDATE answered from FreeSWITCH's current SDP, collisions, failures, and
 * INFO digits that arrive before the legs are bridged.
 */

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

const PBX_HOLD = 'v=0\r\no=pbx 9 10 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n';
const PBX_RESUME = PBX_HOLD.replace('a=sendonly', 'a=sendrecv').replace('9 10', '9 11');

function origin(sdp: string | undefined): string {
  return /^o=(.*)$/m.exec(sdp ?? '')?.[1]?.trim() ?? '';
}

async function answeredInbound() {
  const bed = inboundCall();
  const uac = await bed.sip.nextUac();
  const pbxDialog = uac.answer();
  await bed.running;
  return { bed, pbxDialog, pbxLeg: bed.media.byTag('pbx'), offer: uac.opts.localSdp! };
}

describe('a re-INVITE from the PBX', () => {
  it("is answered with FreeSWITCH's current SDP for the leg, our origin kept and its version bumped once per change", async () => {
    const { pbxDialog, pbxLeg, offer } = await answeredInbound();
    // FreeSWITCH answers the hold with a new key and version of its own
    pbxLeg.answerFor = (_remote, n) => offer.replace(/o=FreeSWITCH 200 1/, `o=FreeSWITCH 200 ${n + 5}`).replace('m=audio 31002', `m=audio ${31100 + n}`);
    const hold = pbxDialog.incoming('modify', 'INVITE', { body: PBX_HOLD });
    await settle();
    expect(pbxLeg.remoteSdps.at(-1)).toBe(PBX_HOLD);
    expect(hold.res.final?.status).toBe(200);
    expect(hold.res.final?.body).toContain(`m=audio ${31102} `); // FreeSWITCH's SDP now, not the set-up's
    expect(hold.res.final?.body).toMatch(/a=recvonly/);
    expect(origin(hold.res.final?.body)).toBe('FreeSWITCH 200 2 IN IP4 127.0.0.1');

    const again = pbxDialog.incoming('modify', 'INVITE', { body: PBX_HOLD });
    await settle();
    expect(origin(again.res.final?.body)).toBe('FreeSWITCH 200 3 IN IP4 127.0.0.1'); // FreeSWITCH moved its port again

    pbxLeg.answerFor = () => pbxLeg.localSdp;
    const resume = pbxDialog.incoming('modify', 'INVITE', { body: PBX_RESUME });
    await settle();
    expect(resume.res.final?.body).toMatch(/a=sendrecv/);
    expect(origin(resume.res.final?.body)).toBe('FreeSWITCH 200 4 IN IP4 127.0.0.1');
  });

  it('that collides with one still being handled gets 491', async () => {
    const { pbxDialog, pbxLeg } = await answeredInbound();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const orig = pbxLeg.setRemoteSdp.bind(pbxLeg);
    pbxLeg.setRemoteSdp = async (sdp) => { await gate; return orig(sdp); };
    const first = pbxDialog.incoming('modify', 'INVITE', { body: PBX_HOLD });
    const second = pbxDialog.incoming('modify', 'INVITE', { body: PBX_RESUME });
    await settle();
    expect(second.res.final?.status).toBe(491);
    release();
    await settle();
    expect(first.res.final?.status).toBe(200);
  });

  it('gets 488 only when FreeSWITCH refuses the SDP, and 500 with Retry-After when the media server fails', async () => {
    const { pbxDialog, pbxLeg } = await answeredInbound();
    pbxLeg.failRemoteSdp = 488;
    const refused = pbxDialog.incoming('modify', 'INVITE', { body: PBX_HOLD });
    await settle();
    expect(refused.res.final?.status).toBe(488);
    pbxLeg.failRemoteSdp = 503;
    const failed = pbxDialog.incoming('modify', 'INVITE', { body: PBX_HOLD });
    await settle();
    expect(failed.res.final).toMatchObject({ status: 500, headers: { 'Retry-After': '2' } });
  });

  it('right behind the PBX 200 OK (set-up still bridging) waits for the set-up, then is applied after its answer', async () => {
    const bed = inboundCall();
    const uac = await bed.sip.nextUac();
    const metaLeg = bed.media.byTag('meta');
    let bridged!: () => void;
    metaLeg.bridgeGate = new Promise<void>((r) => { bridged = r; });
    const pbxDialog = uac.answer();
    await settle();
    const reinvite = pbxDialog.incoming('modify', 'INVITE', { body: PBX_HOLD });
    await settle();
    expect(reinvite.res.final).toBeUndefined();
    bridged();
    await bed.running;
    await settle();
    expect(reinvite.res.final?.status).toBe(200);
    expect(bed.media.byTag('pbx').remoteSdps).toEqual([pbxDialog.remote.sdp, PBX_HOLD]);
  });

  it('reaches nothing on the Meta side', async () => {
    const { bed, pbxDialog } = await answeredInbound();
    pbxDialog.incoming('modify', 'INVITE', { body: PBX_HOLD });
    await settle();
    const metaDialog = bed.sip.uasDialogs[0]!;
    expect(metaDialog.modifies).toEqual([]);
    expect(metaDialog.requests).toEqual([]);
    expect(bed.sip.uacs).toHaveLength(1);
  });
});

describe('a re-INVITE without SDP from the PBX (delayed offer, RFC 3264)', () => {
  const PBX_MOVED = PBX_HOLD.replace('m=audio 20000', 'm=audio 20100').replace('a=sendonly', 'a=sendrecv');

  it("gets FreeSWITCH's current SDP as our offer, and the PBX's answer in its ACK reaches the leg", async () => {
    const { bed, pbxDialog, pbxLeg } = await answeredInbound();
    const reinvite = pbxDialog.incoming('modify', 'INVITE', { headers: { CSeq: '7 INVITE' } });
    await settle();
    expect(reinvite.res.final?.status).toBe(200);
    expect(reinvite.res.final?.body).toContain('m=audio 31002 ');
    expect(pbxLeg.remoteSdps).toHaveLength(1);
    pbxDialog.ack({ headers: { CSeq: '7 ACK' }, body: PBX_MOVED });
    await settle();
    expect(pbxLeg.remoteSdps.at(-1)).toBe(PBX_MOVED);
    expect(pbxLeg.remoteSdps).toHaveLength(2);
    expect(bed.session.state).toBe('answered');
    expect(pbxDialog.byes).toEqual([]);
    expect(pbxDialog.modifies).toEqual([]); // FreeSWITCH kept its address and key: nothing more to tell the PBX
    // a hold the PBX puts in its answer goes the same way
    pbxDialog.incoming('modify', 'INVITE', { headers: { CSeq: '8 INVITE' } });
    await settle();
    pbxDialog.ack({ headers: { CSeq: '8 ACK' }, body: PBX_HOLD });
    await settle();
    expect(pbxLeg.remoteSdps.at(-1)).toBe(PBX_HOLD);
  });

  it('waits for its own ACK: an ACK with another CSeq is not the answer, and an offer meanwhile gets 491', async () => {
    const { pbxDialog, pbxLeg } = await answeredInbound();
    pbxDialog.incoming('modify', 'INVITE', { headers: { CSeq: '7 INVITE' } });
    await settle();
    pbxDialog.ack({ headers: { CSeq: '6 ACK' }, body: PBX_HOLD });
    const crossing = pbxDialog.incoming('update', 'UPDATE', { body: PBX_HOLD });
    await settle();
    expect(crossing.res.final?.status).toBe(491);
    expect(pbxLeg.remoteSdps).toHaveLength(1);
    pbxDialog.ack({ headers: { CSeq: '7 ACK' }, body: PBX_MOVED });
    await settle();
    expect(pbxLeg.remoteSdps.slice(1)).toEqual([PBX_MOVED]);
  });

  it("whose answer makes FreeSWITCH change its side (a new key for the PBX's new one) is followed by our re-INVITE with FreeSWITCH's SDP", async () => {
    const { pbxDialog, pbxLeg, offer } = await answeredInbound();
    const PBX_REKEYED = PBX_MOVED.replace('a=sendrecv', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:bmV3LXBieC1rZXktMDEyMzQ1Njc4OTAxMjM0NTY3\r\na=sendrecv');
    pbxLeg.answerFor = (_remote, n) => offer.replace('m=audio 31002', `m=audio ${31200 + n}`);
    pbxDialog.answerModify = async () => PBX_REKEYED.replace('o=pbx 9 10', 'o=pbx 9 11');
    const reinvite = pbxDialog.incoming('modify', 'INVITE', { headers: { CSeq: '7 INVITE' } });
    await settle();
    expect(origin(reinvite.res.final?.body)).toBe('FreeSWITCH 200 1 IN IP4 127.0.0.1'); // the set-up's SDP, unchanged
    pbxDialog.ack({ headers: { CSeq: '7 ACK' }, body: PBX_REKEYED });
    await settle();
    expect(pbxDialog.modifies).toHaveLength(1);
    expect(pbxDialog.modifies[0]).toContain('m=audio 31202 ');
    expect(origin(pbxDialog.modifies[0])).toBe('FreeSWITCH 200 2 IN IP4 127.0.0.1');
    // the PBX answered with the address and key FreeSWITCH already has: FreeSWITCH is not asked again
    expect(pbxLeg.remoteSdps.slice(1)).toEqual([PBX_REKEYED]);
    expect(pbxDialog.byes).toEqual([]);
  });

  it('whose re-INVITE to tell the PBX of a change fails ends the call', async () => {
    const { bed, pbxDialog, pbxLeg, offer } = await answeredInbound();
    pbxLeg.answerFor = (_remote, n) => offer.replace('m=audio 31002', `m=audio ${31200 + n}`);
    pbxDialog.answerModify = async () => { throw sipError(488, 'Not Acceptable Here'); };
    pbxDialog.incoming('modify', 'INVITE', { headers: { CSeq: '7 INVITE' } });
    await settle();
    pbxDialog.ack({ headers: { CSeq: '7 ACK' }, body: PBX_MOVED });
    await settle();
    expect(pbxDialog.modifies).toHaveLength(1);
    expect(pbxDialog.byes).toHaveLength(1);
    expect(bed.cdrs.map((c) => c.cause)).toEqual(['pbx-reoffer-failed']);
  });

  it('followed by an ACK without SDP is a failed session: BYE to both sides (RFC 3261 §13.2.1)', async () => {
    const { bed, pbxDialog, pbxLeg } = await answeredInbound();
    pbxDialog.incoming('modify', 'INVITE', { headers: { CSeq: '7 INVITE' } });
    await settle();
    pbxDialog.ack({ headers: { CSeq: '7 ACK' } });
    await settle();
    expect(pbxDialog.byes).toHaveLength(1);
    expect(bed.sip.uasDialogs[0]!.byes).toHaveLength(1);
    expect(pbxLeg.remoteSdps).toHaveLength(1);
    expect(bed.cdrs.map((c) => [c.ended_by, c.cause])).toEqual([['gateway', 'pbx-ack-without-answer']]);
  });

  it('whose ACK never comes ends the call after 30 s (RFC 3261 §13.3.1.4)', async () => {
    const { bed, pbxDialog } = await answeredInbound();
    bed.sip.uasDialogs[0]!.ack(); // Meta's ACK of the set-up
    pbxDialog.incoming('modify', 'INVITE', { headers: { CSeq: '7 INVITE' } });
    await settle();
    await vi.advanceTimersByTimeAsync(29_000);
    expect(pbxDialog.byes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    expect(pbxDialog.byes).toHaveLength(1);
    expect(bed.cdrs.map((c) => c.cause)).toEqual(['pbx-no-ack']);
  });
});

describe('an UPDATE from the PBX', () => {
  it('without SDP (a session refresh) gets 200 without SDP and touches no leg', async () => {
    const { pbxDialog, pbxLeg } = await answeredInbound();
    const refresh = pbxDialog.incoming('update', 'UPDATE');
    await settle();
    expect(refresh.res.final?.status).toBe(200);
    expect(refresh.res.final?.body).toBeUndefined();
    expect(pbxLeg.remoteSdps).toHaveLength(1);
  });

  it('with SDP is an offer like a re-INVITE', async () => {
    const { pbxDialog, pbxLeg } = await answeredInbound();
    const upd = pbxDialog.incoming('update', 'UPDATE', { body: PBX_HOLD });
    await settle();
    expect(upd.res.final?.body).toMatch(/a=recvonly/);
    expect(pbxLeg.remoteSdps.at(-1)).toBe(PBX_HOLD);
  });
});

describe('INFO digits from the PBX (business-initiated call)', () => {
  it('that arrive before the bridge is up are answered and relayed once it is', async () => {
    const bed = outboundCall();
    const first = await bed.sip.nextUac();
    const metaLeg = bed.media.byTag('meta');
    const pbxLeg = bed.media.byTag('pbx');
    let bridged!: () => void;
    pbxLeg.bridgeGate = new Promise<void>((r) => { bridged = r; });
    first.answer();
    await settle();
    const pbxDialog = bed.sip.uasDialogs[0]!;
    const info = pbxDialog.incoming('info', 'INFO', { headers: { 'Content-Type': 'application/dtmf-relay' }, body: 'Signal=5\r\nDuration=160\r\n' });
    await settle();
    expect(info.res.final).toBeUndefined();
    expect(metaLeg.dtmf).toEqual([]);
    bridged();
    await bed.running;
    await settle();
    expect(info.res.final?.status).toBe(200);
    expect(metaLeg.dtmf).toEqual(['5']);
  });

  it('that arrive on a call whose set-up then fails get 481, not 200', async () => {
    const bed = outboundCall();
    const first = await bed.sip.nextUac();
    const pbxLeg = bed.media.byTag('pbx');
    let fail!: (e: Error) => void;
    pbxLeg.bridgeGate = new Promise<void>((_r, rej) => { fail = rej; });
    first.answer();
    await settle();
    const info = bed.sip.uasDialogs[0]!.incoming('info', 'INFO', { headers: { 'Content-Type': 'application/dtmf-relay' }, body: 'Signal=7\r\nDuration=160\r\n' });
    fail(new Error('uuid_bridge: -ERR'));
    await bed.running;
    await settle();
    expect(info.res.final?.status).toBe(481);
    expect(bed.media.byTag('meta').dtmf).toEqual([]);
  });
});
