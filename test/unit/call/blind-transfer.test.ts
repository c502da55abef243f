import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { B2buaSession } from '../../../src/call/b2bua-session';
import type { CallFacts, SessionDeps } from '../../../src/call/call-session';
import { CallState } from '../../../src/call/call-state';
import { MetaFarSide } from '../../../src/call/meta-far-side';
import { PbxFarSide } from '../../../src/call/pbx-far-side';
import { CallRegistry } from '../../../src/call/registry';
import { agentCallTransfers, userCallTransfers } from '../../../src/call/transfer-plan';
import type { CdrRecord } from '../../../src/cdr/cdr';
import type { BusinessNumber } from '../../../src/config/types';
import type { InboundCall } from '../../../src/sip/meta-admission';
import { metaConfig, pbxTarget } from '../../support/config-fixtures';
import { FakeMediaSession, type FakeLeg } from '../../support/fakes/media';
import { FakeDialog, FakeRequest, FakeResponse, FakeSignaling, FAR_SDP, type FakeUac } from '../../support/fakes/sip';

/**
 * Blind transfer from the PBX (issue 9, item 4) through a B2buaSession on the typed fakes:
 * the REFER's answer, the INVITE to the target, the NOTIFYs, the legs and dialogs left, and
 * that Meta receives nothing at all.
 */

const BUSINESS: BusinessNumber = { number: '+12145551869', sip_password: 'meta-secret', routes: [] };
const META_OFFER = 'v=0\r\no=- 1 1 IN IP4 157.240.1.1\r\ns=-\r\nc=IN IP4 157.240.1.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 111 126\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\na=sendrecv\r\n';
const PBX_OFFER = 'v=0\r\no=pbx 5 5 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n';
const TARGET_SDP = FAR_SDP.replace('40000', '40100').replace('o=far 1 1', 'o=target 7 7');
const RING_S = 10;

interface Bed {
  sip: FakeSignaling;
  media: FakeMediaSession;
  registry: CallRegistry;
  cdrs: CdrRecord[];
  session: B2buaSession;
  metaDialog: FakeDialog;
  pbxDialog: FakeDialog;
  metaLeg: FakeLeg;
  pbxLeg: FakeLeg;
}

const settle = async () => {
  for (let i = 0; i < 30; i++) await Promise.resolve();
};

function deps(sip: FakeSignaling, registry: CallRegistry, cdrs: CdrRecord[]): SessionDeps {
  const media = { meta_rtp_timeout_seconds: 20, pbx_rtp_timeout_seconds: 0, comfort_noise: false };
  return { sip, media, registry, cdr: { write: (r) => cdrs.push(r), close: async () => undefined }, log: pino({ level: 'silent' }) };
}

const facts = (direction: CallFacts['direction']): CallFacts => ({
  direction, businessNumber: BUSINESS.number, whatsappUser: '+12195550714', wacid: null, pbx: 'main', pbxDestination: '1001',
  metaCallId: null, pbxCallId: null, mediaServer: null, metaCallDuration: null, metaWarning: null,
});

/** a WhatsApp user's call answered by extension 1001 and bridged */
async function userCall(o: { bridgeWith?: () => Promise<void> } = {}): Promise<Bed> {
  const sip = new FakeSignaling();
  const media = new FakeMediaSession();
  const registry = new CallRegistry();
  const cdrs: CdrRecord[] = [];
  const req = new FakeRequest('INVITE', `sip:${BUSINESS.number}@gw.example.com;transport=tls`, { headers: { 'Call-ID': 'outgoing:wacid.ABC', From: '<sip:+12195550714@wa.meta.vc>;tag=m1' }, body: META_OFFER, protocol: 'tls', source_address: '157.240.1.1' });
  const res = new FakeResponse();
  req.response = res;
  const call: InboundCall = { business: BUSINESS, caller: '+12195550714', userId: null, wacid: 'ABC', pbx: pbxTarget({ ring_timeout_seconds: RING_S, allow_sources: ['10.0.0.0/24'] }), destination: '1001', pbxHeaders: { 'X-WA-Wacid': 'ABC' } };
  const session = new B2buaSession(deps(sip, registry, cdrs), { side: 'meta', req, res }, new PbxFarSide(sip, call, 'gw.example.com'), facts('user-initiated'), {}, userCallTransfers(sip, call, 'gw.example.com'));
  // bridgeWith: how FreeSWITCH's first bridge goes (held until the test says)
  media.hold = o.bridgeWith !== undefined;
  const running = session.run(media);
  if (o.bridgeWith) {
    await settle();
    let first: (() => Promise<void>) | null = o.bridgeWith;
    for (const l of media.legs) {
      const real = l.bridge.bind(l);
      l.bridge = async (other) => {
        const wait = first;
        first = null;
        if (wait) await wait();
        await real(other);
      };
    }
    media.handOver();
    media.hold = false;
  }
  const pbxDialog = (await sip.nextUac()).answer();
  if (o.bridgeWith) await settle();
  else await running;
  const metaDialog = sip.uasDialogs[0]!;
  metaDialog.ack();
  return { sip, media, registry, cdrs, session, metaDialog, pbxDialog, metaLeg: media.byTag('meta'), pbxLeg: media.byTag('pbx') };
}

/** an agent's call (extension 1001) to a WhatsApp user, answered and bridged */
async function agentCall(): Promise<Bed> {
  const sip = new FakeSignaling();
  const media = new FakeMediaSession();
  const registry = new CallRegistry();
  const cdrs: CdrRecord[] = [];
  const req = new FakeRequest('INVITE', 'sip:900441234567890@gw.example.com', { headers: { 'Call-ID': 'pbx-call-1', From: '<sip:1001@10.0.0.5>;tag=p1' }, body: PBX_OFFER, source_address: '10.0.0.5' });
  const res = new FakeResponse();
  req.response = res;
  const call = { pbx: pbxTarget({ ring_timeout_seconds: RING_S }), dialed: '+441234567890', business: BUSINESS };
  const far = new MetaFarSide(sip, metaConfig(), call, { pin: async () => ({ address: '157.240.1.1', port: 5061 }) });
  const session = new B2buaSession(deps(sip, registry, cdrs), { side: 'pbx', req, res }, far, facts('business-initiated'), {}, agentCallTransfers(sip, call, 'gw.example.com'));
  const running = session.run(media);
  const metaDialog = (await sip.nextUac()).answer();
  await running;
  sip.uasDialogs[0]!.ack();
  return { sip, media, registry, cdrs, session, metaDialog, pbxDialog: sip.uasDialogs[0]!, metaLeg: media.byTag('meta'), pbxLeg: media.legs.find((l) => l.options.tag === 'pbx')! };
}

function refer(d: FakeDialog, referTo: string | null, extra: Record<string, string> = {}) {
  return d.incoming('refer', 'REFER', { headers: { CSeq: '3 REFER', ...(referTo === null ? {} : { 'Refer-To': referTo }), ...extra } });
}

/** the INVITE to the transfer target, once it is out */
async function targetInvite(bed: Bed): Promise<FakeUac> {
  await settle();
  const uac = bed.sip.uacs[1];
  if (!uac) throw new Error('no INVITE to the target');
  return uac;
}

/** the leg made for the target (the third leg of the call) */
const targetLeg = (bed: Bed): FakeLeg => bed.media.legs[2]!;

const notifies = (d: FakeDialog) => d.requests.filter((r) => r.method === 'NOTIFY');
const sipfrags = (d: FakeDialog) => notifies(d).map((r) => `${r.headers?.['Subscription-State']} ${r.body?.trim()}`);

/** Meta got no request at all: no re-INVITE, no REFER, no BYE, nothing in its dialog */
function metaSawNothing(bed: Bed): void {
  expect(bed.metaDialog.requests).toEqual([]);
  expect(bed.metaDialog.modifies).toEqual([]);
  expect(bed.metaDialog.byes).toEqual([]);
}

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('blind transfer: a REFER from the PBX carried out in the gateway', () => {
  it('202, INVITE to the target on the PBX, Meta leg bridged to the new leg, NOTIFY 100 then 200, old PBX side ended; Meta sees nothing', async () => {
    const bed = await userCall();
    const { res } = refer(bed.pbxDialog, '<sip:1002@10.0.0.5:5060>', { 'Referred-By': '<sip:1001@10.0.0.5>' });
    expect(res.sent[0]).toMatchObject({ status: 202, reason: 'Accepted' });
    const uac = await targetInvite(bed);
    expect(uac.uri).toBe('sip:1002@10.0.0.5:5060;transport=udp');
    expect(uac.opts.headers).toMatchObject({ From: '"12195550714" <sip:+12195550714@gw.example.com>', 'Referred-By': '<sip:1001@10.0.0.5>', 'X-WA-Wacid': 'ABC' });
    const leg = targetLeg(bed);
    expect(leg).toMatchObject({ kind: 'offer', input: { codecs: ['PCMU'], srtp: false } });
    expect(leg.options.tag).toBe('pbx');
    expect(uac.opts.localSdp).toBe(leg.localSdp);
    uac.provisional(180);
    const target = uac.answer(TARGET_SDP);
    await settle();

    expect(leg.remoteSdps).toEqual([TARGET_SDP]);
    expect(bed.metaLeg.bridgedTo).toBe(leg.id);
    expect(notifies(bed.pbxDialog).map((n) => n.headers)).toEqual([
      { Event: 'refer;id=3', 'Subscription-State': 'active;expires=60', 'Content-Type': 'message/sipfrag;version=2.0' },
      { Event: 'refer;id=3', 'Subscription-State': 'terminated;reason=noresource', 'Content-Type': 'message/sipfrag;version=2.0' },
    ]);
    expect(notifies(bed.pbxDialog).map((n) => n.body)).toEqual(['SIP/2.0 100 Trying\r\n', 'SIP/2.0 200 OK\r\n']);
    expect(bed.pbxDialog.byes).toHaveLength(1);
    expect(bed.pbxLeg.releases).toBe(1);
    expect([bed.metaLeg.releases, leg.releases]).toEqual([0, 0]);
    expect(bed.session.state).toBe(CallState.Answered);
    metaSawNothing(bed);

    // the new dialog is the PBX side now: its re-INVITE is answered from the new leg, its BYE ends the call
    const hold = target.incoming('modify', 'INVITE', { body: TARGET_SDP.replace('a=sendrecv', 'a=sendonly') });
    await settle();
    expect(hold.res.final?.status).toBe(200);
    expect(leg.remoteSdps).toHaveLength(2);
    expect(bed.pbxLeg.remoteSdps).toHaveLength(1);
    target.remoteBye();
    await settle();
    expect(bed.metaDialog.byes).toHaveLength(1);
    expect([bed.metaLeg.releases, leg.releases, bed.pbxLeg.releases]).toEqual([1, 1, 1]);
    expect(bed.pbxDialog.byes).toHaveLength(1); // not BYEd a second time
    expect(bed.cdrs).toHaveLength(1);
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'pbx', cause: 'bye' });
    expect(bed.registry.size).toBe(0);
  });

  it('the early bridge is the set-up\'s only (issue 9, item 5): the target\'s leg is not bridged early, the Meta leg is bridged to it once it answers', async () => {
    const bed = await userCall();
    expect(bed.metaLeg.earlyWith).toBe(bed.pbxLeg.id);
    refer(bed.pbxDialog, 'sip:1002@10.0.0.5');
    const uac = await targetInvite(bed);
    const leg = targetLeg(bed);
    expect(bed.metaLeg.bridgedTo).toBe(bed.pbxLeg.id);
    uac.answer(TARGET_SDP);
    await settle();
    expect([leg.earlyWith, bed.pbxLeg.earlyWith, bed.metaLeg.earlyWith]).toEqual([null, null, bed.pbxLeg.id]);
    expect(bed.metaLeg.bridgedTo).toBe(leg.id);
  });

  it("Meta's BYE after a transfer BYEs the target's dialog, and the old PBX side's late BYE or leg end changes nothing", async () => {
    const bed = await userCall();
    refer(bed.pbxDialog, 'sip:1002@10.0.0.5');
    const target = (await targetInvite(bed)).answer(TARGET_SDP);
    await settle();
    // the transferor hangs up as well, and FreeSWITCH ends the unbridged old leg
    bed.pbxDialog.remoteBye();
    bed.pbxLeg.gone('NORMAL_CLEARING');
    await vi.advanceTimersByTimeAsync(1000);
    expect(bed.session.state).toBe(CallState.Answered);
    metaSawNothing(bed);
    bed.metaDialog.remoteBye();
    await settle();
    expect(target.byes).toHaveLength(1);
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'meta' });
  });

  it('a busy target: NOTIFY 486, the new leg released, the call stays on the old leg and its BYE still ends the call', async () => {
    const bed = await userCall();
    expect(refer(bed.pbxDialog, '<sip:1002@10.0.0.5>').res.sent[0]?.status).toBe(202);
    const uac = await targetInvite(bed);
    uac.fail(486, 'Busy Here');
    await settle();
    expect(sipfrags(bed.pbxDialog)).toEqual(['active;expires=60 SIP/2.0 100 Trying', 'terminated;reason=noresource SIP/2.0 486 Busy Here']);
    expect(targetLeg(bed).releases).toBe(1);
    expect(bed.metaLeg.bridgedTo).toBe(bed.pbxLeg.id);
    expect(bed.pbxDialog.byes).toHaveLength(0);
    expect(bed.pbxLeg.releases).toBe(0);
    expect(bed.session.state).toBe(CallState.Answered);
    metaSawNothing(bed);
    bed.pbxDialog.remoteBye();
    await settle();
    expect(bed.metaDialog.byes).toHaveLength(1);
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'pbx', cause: 'bye' });
  });

  it("the CDR keeps the first PBX leg's pbx_call_id and records the transfer: the target's extension, its Call-ID and when it answered", async () => {
    const bed = await userCall();
    const firstCallId = bed.sip.uacs[0]!.request.get('Call-ID');
    refer(bed.pbxDialog, '<sip:1002@10.0.0.5>');
    const uac = await targetInvite(bed);
    await vi.advanceTimersByTimeAsync(3000); // the target rings for 3 s
    const answeredAt = new Date().toISOString();
    const target = uac.answer(TARGET_SDP);
    await settle();
    await vi.advanceTimersByTimeAsync(5000);
    target.remoteBye();
    await settle();
    expect(bed.cdrs).toHaveLength(1);
    const cdr = bed.cdrs[0]!;
    expect(uac.request.get('Call-ID')).not.toBe(firstCallId);
    expect(cdr).toMatchObject({ pbx_call_id: firstCallId, transferred_to: '1002', transfer_pbx_call_id: uac.request.get('Call-ID'), transferred_at: answeredAt, pbx_destination: '1001' });
    expect(Date.parse(cdr.end_at) - Date.parse(cdr.transferred_at!)).toBe(5000);
  });

  it('a transfer that fails leaves no transfer in the CDR', async () => {
    const bed = await userCall();
    refer(bed.pbxDialog, '<sip:1002@10.0.0.5>');
    (await targetInvite(bed)).fail(486, 'Busy Here');
    await settle();
    bed.pbxDialog.remoteBye();
    await settle();
    expect(bed.cdrs[0]).toMatchObject({ pbx_call_id: bed.sip.uacs[0]!.request.get('Call-ID'), transferred_to: null, transfer_pbx_call_id: null, transferred_at: null });
  });

  it('no answer within ring_timeout_seconds: CANCEL to the target, NOTIFY 480, the call stays', async () => {
    const bed = await userCall();
    refer(bed.pbxDialog, '<sip:1002@10.0.0.5>');
    const uac = await targetInvite(bed);
    uac.provisional(180);
    await vi.advanceTimersByTimeAsync(RING_S * 1000 - 1);
    expect(uac.request.cancels).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(uac.request.cancels).toBe(1);
    uac.fail(487, 'Request Terminated');
    await settle();
    expect(sipfrags(bed.pbxDialog).at(-1)).toBe('terminated;reason=noresource SIP/2.0 480 Temporarily Unavailable');
    expect(targetLeg(bed).releases).toBe(1);
    expect(bed.session.state).toBe(CallState.Answered);
    metaSawNothing(bed);
  });

  it('a target that never answers our CANCEL is given up 4 s later, and its late 200 OK is BYEd', async () => {
    const bed = await userCall();
    refer(bed.pbxDialog, '<sip:1002@10.0.0.5>');
    const uac = await targetInvite(bed);
    uac.provisional(180);
    await vi.advanceTimersByTimeAsync(RING_S * 1000);
    expect(uac.request.cancels).toBe(1);
    await vi.advanceTimersByTimeAsync(3999);
    expect(notifies(bed.pbxDialog)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sipfrags(bed.pbxDialog).at(-1)).toBe('terminated;reason=noresource SIP/2.0 480 Temporarily Unavailable');
    expect(targetLeg(bed).releases).toBe(1);
    const late = uac.answer(TARGET_SDP);
    await settle();
    expect(late.byes).toHaveLength(1);
    expect(bed.metaLeg.bridgedTo).toBe(bed.pbxLeg.id);
    expect(bed.session.state).toBe(CallState.Answered);
  });

  it("the transferor's BYE while the target rings does not end the call; the transfer still completes", async () => {
    const bed = await userCall();
    refer(bed.pbxDialog, '<sip:1002@10.0.0.5>');
    const uac = await targetInvite(bed);
    bed.pbxDialog.remoteBye();
    await vi.advanceTimersByTimeAsync(500);
    expect(bed.session.state).toBe(CallState.Answered);
    const target = uac.answer(TARGET_SDP);
    await settle();
    expect(bed.metaLeg.bridgedTo).toBe(targetLeg(bed).id);
    expect(notifies(bed.pbxDialog)).toHaveLength(1); // the 100; the dialog was gone for the 200
    expect(bed.pbxDialog.byes).toHaveLength(0);
    expect(bed.pbxLeg.releases).toBe(1);
    metaSawNothing(bed);
    target.remoteBye();
    await settle();
    expect(bed.metaDialog.byes).toHaveLength(1);
  });

  it("the transferor's BYE while the target rings, then the target fails: the call ends then", async () => {
    const bed = await userCall();
    refer(bed.pbxDialog, '<sip:1002@10.0.0.5>');
    const uac = await targetInvite(bed);
    bed.pbxDialog.remoteBye();
    await settle();
    expect(bed.metaDialog.byes).toHaveLength(0);
    uac.fail(486, 'Busy Here');
    await settle();
    expect(bed.metaDialog.byes).toHaveLength(1);
    expect(bed.media.legs.map((l) => l.releases)).toEqual([1, 1, 1]);
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'pbx', cause: 'bye' });
  });

  it("Meta's BYE while the target rings: CANCEL to the target, its leg released, nothing left", async () => {
    const bed = await userCall();
    refer(bed.pbxDialog, '<sip:1002@10.0.0.5>');
    const uac = await targetInvite(bed);
    uac.provisional(180);
    bed.metaDialog.remoteBye();
    await settle();
    expect(uac.request.cancels).toBe(1);
    expect(bed.media.legs.map((l) => l.releases)).toEqual([1, 1, 1]);
    expect(bed.pbxDialog.byes).toHaveLength(1);
    expect(bed.registry.size).toBe(0);
    // the target's 200 OK crossing our CANCEL is BYEd
    const late = uac.answer(TARGET_SDP);
    await settle();
    expect(late.byes).toHaveLength(1);
  });

  it('an agent call (PBX → WhatsApp) is transferred alike: the target sees the WhatsApp user calling', async () => {
    const bed = await agentCall();
    expect(refer(bed.pbxDialog, '<sip:1002@10.0.0.5>').res.sent[0]?.status).toBe(202);
    const uac = await targetInvite(bed);
    expect(uac.uri).toBe('sip:1002@10.0.0.5:5060;transport=udp');
    expect(uac.opts.headers?.From).toBe('"441234567890" <sip:+441234567890@gw.example.com>');
    uac.answer(TARGET_SDP);
    await settle();
    expect(bed.metaLeg.bridgedTo).toBe(targetLeg(bed).id);
    expect(bed.pbxDialog.byes).toHaveLength(1);
    expect(bed.pbxLeg.releases).toBe(1);
    metaSawNothing(bed);
  });

  it('Refer-Sub: false (RFC 4488): 202 with Refer-Sub: false and no NOTIFY', async () => {
    const bed = await userCall();
    const { res } = refer(bed.pbxDialog, '<sip:1002@10.0.0.5>', { 'Refer-Sub': 'false' });
    expect(res.sent[0]).toMatchObject({ status: 202, headers: { 'Refer-Sub': 'false' } });
    (await targetInvite(bed)).answer(TARGET_SDP);
    await settle();
    expect(bed.metaLeg.bridgedTo).toBe(targetLeg(bed).id);
    expect(notifies(bed.pbxDialog)).toEqual([]);
  });
});

describe('REFERs the gateway does not carry out', () => {
  const refused: [string, string | null, Record<string, string>, number][] = [
    ['an attended transfer (Replaces)', '<sip:1002@10.0.0.5?Replaces=abc%40pbx%3Bto-tag%3D1%3Bfrom-tag%3D2>', {}, 603],
    ['a target on another host', '<sip:1002@198.51.100.7>', {}, 603],
    ['a tel: target', '<tel:+441234567890>', {}, 603],
    ['a target with no user part', '<sip:10.0.0.5>', {}, 603],
    ['a Refer-To with method=BYE', '<sip:1002@10.0.0.5;method=BYE>', {}, 603],
    ['no Refer-To (RFC 3515 §2.4.1: 400)', null, {}, 400],
    ['two Refer-To values (RFC 3515 §2.4.1: 400)', '<sip:1002@10.0.0.5>, <sip:1003@10.0.0.5>', {}, 400],
    ['a Refer-To that is no URI', '<not a uri>', {}, 400],
  ];
  for (const [what, referTo, extra, status] of refused) {
    it(`${what}: ${status}, no INVITE, no NOTIFY, the call unchanged`, async () => {
      const bed = await userCall();
      const { res } = refer(bed.pbxDialog, referTo, extra);
      await settle();
      expect(res.statuses).toEqual([status]);
      expect(bed.sip.uacs).toHaveLength(1);
      expect(bed.media.legs).toHaveLength(2);
      expect(bed.pbxDialog.requests).toEqual([]);
      expect(bed.session.state).toBe(CallState.Answered);
      metaSawNothing(bed);
    });
  }

  it('an address in the PBX allow_sources counts as the PBX (the INVITE still goes to its configured host)', async () => {
    const bed = await userCall();
    expect(refer(bed.pbxDialog, '<sip:1002@10.0.0.9:5070>').res.statuses).toEqual([202]);
    expect((await targetInvite(bed)).uri).toBe('sip:1002@10.0.0.5:5060;transport=udp');
  });

  it('a second REFER while one is in progress: 603, the first goes on', async () => {
    const bed = await userCall();
    refer(bed.pbxDialog, '<sip:1002@10.0.0.5>');
    const uac = await targetInvite(bed);
    expect(refer(bed.pbxDialog, '<sip:1003@10.0.0.5>').res.statuses).toEqual([603]);
    await settle();
    expect(bed.sip.uacs).toHaveLength(2);
    uac.answer(TARGET_SDP);
    await settle();
    expect(bed.metaLeg.bridgedTo).toBe(targetLeg(bed).id);
  });

  it('a REFER between the PBX answer and the bridge waits for the bridge, then is carried out', async () => {
    let bridged!: () => void;
    const bed = await userCall({ bridgeWith: () => new Promise<void>((resolve) => { bridged = resolve; }) });
    expect(bed.session.state).toBe(CallState.Answered);
    const { res } = refer(bed.pbxDialog, '<sip:1002@10.0.0.5>');
    await settle();
    expect(res.sent).toEqual([]);
    expect(bed.sip.uacs).toHaveLength(1);
    bridged();
    await settle();
    expect(res.statuses).toEqual([202]);
    (await targetInvite(bed)).answer(TARGET_SDP);
    await settle();
    expect(bed.metaLeg.bridgedTo).toBe(targetLeg(bed).id);
  });

  it('a REFER waiting for a bridge that never comes: 603 when the call ends', async () => {
    const bed = await userCall({ bridgeWith: () => new Promise<void>(() => undefined) });
    const { res } = refer(bed.pbxDialog, '<sip:1002@10.0.0.5>');
    await settle();
    expect(res.sent).toEqual([]);
    bed.metaDialog.remoteBye();
    await settle();
    expect(res.statuses).toEqual([603]);
    expect(bed.sip.uacs).toHaveLength(1);
  });

  it('a session without a transfer plan declines every REFER (no silent 200 from the framework)', async () => {
    const sip = new FakeSignaling();
    const media = new FakeMediaSession();
    const req = new FakeRequest('INVITE', `sip:${BUSINESS.number}@gw.example.com`, { headers: { 'Call-ID': 'c1', From: '<sip:+12195550714@wa.meta.vc>;tag=m1' }, body: META_OFFER });
    const res = new FakeResponse();
    const call: InboundCall = { business: BUSINESS, caller: '+12195550714', userId: null, wacid: null, pbx: pbxTarget(), destination: '1001', pbxHeaders: {} };
    const running = new B2buaSession(deps(sip, new CallRegistry(), []), { side: 'meta', req, res }, new PbxFarSide(sip, call, 'gw.example.com'), facts('user-initiated'), {}).run(media);
    const pbxDialog = (await sip.nextUac()).answer();
    await running;
    expect(refer(pbxDialog, '<sip:1002@10.0.0.5>').res.statuses).toEqual([603]);
  });
});
