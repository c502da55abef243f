import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallState } from '../../../src/call/call-state';
import { META_CHALLENGE, inboundCall, outboundCall, settle } from './flow-bed';

/**
 * The call flows of both directions through typed fakes of the SIP and media layers
 * (test/support/fakes): what each side receives, in order, and what is left afterwards.
 */

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

describe('a WhatsApp user calls the business (Meta → PBX)', () => {
  it('rings the PBX, answers Meta once the PBX answers, bridges the legs, and ends both on the PBX BYE', async () => {
    const bed = inboundCall();
    const uac = await bed.sip.nextUac();
    expect(uac.uri).toBe('sip:1001@10.0.0.5:5060;transport=udp');
    expect(uac.opts.headers?.From).toBe('"12195550714" <sip:+12195550714@gw.example.com>');
    expect(uac.opts.localSdp).toContain('RTP/AVP 0 101'); // FreeSWITCH's offer, untouched
    uac.provisional(100);
    uac.provisional(180);
    expect(bed.caller.res.statuses).toEqual([180]);
    expect(bed.session.state).toBe(CallState.Ringing);
    const pbxDialog = uac.answer();
    await bed.running;
    const metaLeg = bed.media.byTag('meta');
    const pbxLeg = bed.media.byTag('pbx');
    expect(pbxLeg.remoteSdps).toEqual([pbxDialog.remote.sdp]);
    expect(metaLeg.bridgedTo).toBe(pbxLeg.id);
    expect(bed.caller.res.final?.status).toBe(200);
    expect(bed.caller.res.final?.body).toBe(metaLeg.localSdp);
    expect(bed.session.state).toBe(CallState.Answered);

    pbxDialog.remoteBye();
    await settle();
    const metaDialog = bed.sip.uasDialogs[0]!;
    expect(metaDialog.byes).toHaveLength(1);
    expect(pbxDialog.byes).toHaveLength(0); // it hung up itself
    expect([metaLeg.releases, pbxLeg.releases]).toEqual([1, 1]);
    expect(bed.registry.size).toBe(0);
    expect(bed.cdrs).toHaveLength(1);
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'pbx', cause: 'bye', sip_status: 200 });
  });

  it("Meta's BYE ends the PBX leg and both FreeSWITCH legs", async () => {
    const bed = inboundCall();
    const pbxDialog = (await bed.sip.nextUac()).answer();
    await bed.running;
    bed.sip.uasDialogs[0]!.remoteBye({ 'x-wa-meta-call-duration': '42' });
    await settle();
    expect(pbxDialog.byes).toHaveLength(1);
    expect(bed.media.legs.map((l) => l.releases)).toEqual([1, 1]);
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'meta', meta_call_duration_s: 42 });
  });

  it('maps a busy PBX to 486 for Meta and releases both legs', async () => {
    const bed = inboundCall();
    (await bed.sip.nextUac()).fail(486, 'Busy Here');
    await bed.running;
    await settle();
    expect(bed.caller.res.statuses).toEqual([486]);
    expect(bed.media.legs.map((l) => l.releases)).toEqual([1, 1]);
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'pbx', cause: 'pbx-486', sip_status: 486 });
  });

  it("Meta's CANCEL while the PBX rings: CANCEL to the PBX, 487 to Meta", async () => {
    const bed = inboundCall();
    const uac = await bed.sip.nextUac();
    uac.provisional(180);
    bed.caller.req.emitCancel();
    await settle();
    expect(uac.request.cancels).toBe(1);
    uac.fail(487, 'Request Terminated');
    await bed.running;
    await settle();
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'meta', cause: 'cancel', sip_status: 487 });
    expect(bed.registry.size).toBe(0);
  });

  it("a PBX answer FreeSWITCH refuses ends the call on both sides (Meta's 200 OK went out beside it)", async () => {
    const bed = inboundCall();
    const uac = await bed.sip.nextUac();
    bed.media.byTag('pbx').failRemoteSdp = 488;
    const pbxDialog = uac.answer();
    await bed.running;
    await settle();
    expect(bed.caller.res.final?.status).toBe(200);
    expect(bed.sip.uasDialogs[0]!.byes).toHaveLength(1);
    expect(pbxDialog.byes).toHaveLength(1);
    expect(bed.cdrs[0]?.cause).toMatch(/^media-error/);
  });
});

describe('an agent calls a WhatsApp user (PBX → Meta)', () => {
  it("answers Meta's 407 once with the same Call-ID and From, CSeq + 1, and connects", async () => {
    const bed = outboundCall();
    const first = await bed.sip.nextUac();
    expect(bed.tlsChecks).toBe(1);
    expect(first.uri).toBe('sip:+441234567890@wa.meta.vc;transport=tls');
    expect(first.opts.headers?.From).toBe('<sip:+12145551869@gw.example.com>');
    const second = bed.sip.nextUac();
    first.fail(407, 'Proxy Authentication Required', { 'Proxy-Authenticate': META_CHALLENGE });
    const retry = await second;
    expect(retry.opts.headers?.['Call-ID']).toBe(first.request.get('Call-ID'));
    expect(retry.opts.headers?.CSeq).toBe('2 INVITE');
    expect(retry.opts.headers?.['Proxy-Authorization']).toMatch(/^Digest username="12145551869", realm="wa.meta.vc", nonce="abc123"/);
    retry.provisional(180);
    expect(bed.caller.res.statuses).toEqual([180]);
    retry.answer();
    await bed.running;
    expect(bed.caller.res.final?.status).toBe(200);
    expect(bed.media.byTag('meta').bridgedTo).toBe(bed.media.byTag('pbx').id);
  });

  it("passes Meta's 403 and its Warning to the PBX, after ours saying it in plain words", async () => {
    const bed = outboundCall();
    const warning = '399 wa.meta.vc "No Approved Call Permission Found"';
    (await bed.sip.nextUac()).fail(403, 'Forbidden', { Warning: warning });
    await bed.running;
    expect(bed.caller.res.final).toMatchObject({ status: 403, headers: { Warning: `399 gw.example.com "the WhatsApp user has not allowed calls from this business number", ${warning}` } });
    await settle();
    expect(bed.cdrs[0]).toMatchObject({ meta_warning: warning, cause: 'no-call-permission' });
  });

  it('a second challenge fails the call with 403 and no third INVITE', async () => {
    const bed = outboundCall();
    const first = await bed.sip.nextUac();
    const next = bed.sip.nextUac();
    first.fail(407, 'Proxy Authentication Required', { 'Proxy-Authenticate': META_CHALLENGE });
    (await next).fail(407, 'Proxy Authentication Required', { 'Proxy-Authenticate': META_CHALLENGE });
    await bed.running;
    expect(bed.sip.uacs).toHaveLength(2);
    expect(bed.caller.res.final?.status).toBe(403);
  });
});

describe('a WhatsApp caller without a usable number', () => {
  it.each([
    ['withheld', undefined],
    ['known by a business-scoped user id', 'US.1349'],
  ] as const)('%s: reaches the PBX anonymous (RFC 3323), with Privacy: id and no P-Asserted-Identity', async (_name, userId) => {
    const bed = inboundCall({ caller: null, ...(userId ? { userId } : {}) });
    const uac = await bed.sip.nextUac();
    const h = uac.opts.headers ?? {};
    expect(h.From).toBe('"Anonymous" <sip:anonymous@anonymous.invalid>');
    expect(h.Privacy).toBe('id');
    expect(h['P-Asserted-Identity']).toBeUndefined();
    expect(h['X-WA-Wacid']).toBe('ABC'); // Meta's identifiers still ride along
  });

  it('a caller with a number is asserted', async () => {
    const bed = inboundCall();
    const h = (await bed.sip.nextUac()).opts.headers ?? {};
    expect(h['P-Asserted-Identity']).toBe('<sip:+12195550714@gw.example.com>');
    expect(h.Privacy).toBeUndefined();
  });
});
