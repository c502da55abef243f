import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { META_CHALLENGE, inboundCall, outboundCall, settle } from './flow-bed';

/**
 * The races of call set-up, each forced in one order with fake timers (issue 9): the
 * call ends while a step is under way, and what the far side receives afterwards.
 */

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

const CHALLENGE = { 'Proxy-Authenticate': META_CHALLENGE };

describe("the agent hangs up while Meta's 407 is on its way", () => {
  it('without a 100 Trying first: no CANCEL before a provisional, and no authenticated INVITE after the 407', async () => {
    const bed = outboundCall();
    const first = await bed.sip.nextUac();
    bed.caller.req.emitCancel();
    await settle();
    expect(first.request.cancels).toBe(0); // RFC 3261 §9.1: no CANCEL before a provisional
    first.fail(407, 'Proxy Authentication Required', CHALLENGE);
    await bed.running;
    await vi.runAllTimersAsync();
    expect(bed.sip.uacs).toHaveLength(1);
    expect(bed.caller.res.final?.status).toBe(487);
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'pbx', cause: 'cancel' });
  });

  it('with a 100 Trying first: CANCEL at once, and no authenticated INVITE after the 407', async () => {
    const bed = outboundCall();
    const first = await bed.sip.nextUac();
    first.provisional(100);
    bed.caller.req.emitCancel();
    await settle();
    expect(first.request.cancels).toBe(1);
    first.fail(407, 'Proxy Authentication Required', CHALLENGE);
    await bed.running;
    await vi.runAllTimersAsync();
    expect(bed.sip.uacs).toHaveLength(1);
  });

  it('while the Meta TLS check is under way: no INVITE at all', async () => {
    let pass!: () => void;
    const bed = outboundCall({ tls: { pin: () => new Promise((r) => { pass = () => r({ address: '157.240.0.10', port: 5061 }); }) } });
    await settle();
    bed.caller.req.emitCancel();
    await settle();
    pass();
    await bed.running;
    await vi.runAllTimersAsync();
    expect(bed.sip.uacs).toHaveLength(0);
    expect(bed.caller.res.final?.status).toBe(487);
  });
});

describe('an INVITE abandoned before any provisional', () => {
  it('is CANCELled as soon as its first provisional arrives', async () => {
    const bed = inboundCall();
    const uac = await bed.sip.nextUac();
    bed.caller.req.emitCancel();
    await settle();
    expect(uac.request.cancels).toBe(0);
    uac.provisional(180);
    expect(uac.request.cancels).toBe(1);
    expect(bed.caller.res.statuses).toEqual([487]); // no 180 after the call ended
  });

  it('gets a BYE when its answer is a 2xx', async () => {
    const bed = inboundCall();
    const uac = await bed.sip.nextUac();
    bed.caller.req.emitCancel();
    await settle();
    const dialog = uac.answer();
    await bed.running;
    await settle();
    expect(dialog.byes).toHaveLength(1);
    expect(bed.media.legs.every((l) => l.releases === 1)).toBe(true);
  });
});

describe('the ring timeout', () => {
  it('crossing the PBX 200 OK: the late answer gets a BYE, Meta gets 480', async () => {
    const bed = inboundCall({ pbx: { ring_timeout_seconds: 10 } });
    const uac = await bed.sip.nextUac();
    uac.provisional(180);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(uac.request.cancels).toBe(1);
    const dialog = uac.answer(); // the 200 crossed our CANCEL
    await bed.running;
    await settle();
    expect(dialog.byes).toHaveLength(1);
    expect(bed.caller.res.final?.status).toBe(480);
    expect(bed.cdrs[0]).toMatchObject({ cause: 'pbx-no-answer' });
  });

  it('a PBX that died after its 180 (no 487): Meta still gets 480 within ring timeout + 4 s', async () => {
    const bed = inboundCall({ pbx: { ring_timeout_seconds: 10 } });
    const uac = await bed.sip.nextUac();
    uac.provisional(180);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(uac.request.cancels).toBe(1);
    expect(bed.caller.res.final).toBeUndefined();
    await vi.advanceTimersByTimeAsync(4_000);
    expect(bed.caller.res.final?.status).toBe(480);
    await settle();
    expect(bed.registry.size).toBe(0);
  });

  it('is cleared when the call ends: a cancelled call sends nothing when it would have fired', async () => {
    const bed = inboundCall({ pbx: { ring_timeout_seconds: 10 } });
    const uac = await bed.sip.nextUac();
    uac.provisional(180);
    bed.caller.req.emitCancel();
    await settle();
    uac.fail(487, 'Request Terminated');
    await bed.running;
    await settle();
    expect(vi.getTimerCount()).toBe(0);
    expect(uac.request.cancels).toBe(1);
  });
});

describe('BYE races', () => {
  it("Meta's BYE right behind its ACK (the dialog is already ended when it reaches us)", async () => {
    const bed = inboundCall();
    bed.sip.uasMode = 'already-ended';
    const pbxDialog = (await bed.sip.nextUac()).answer();
    await bed.running;
    await settle();
    expect(pbxDialog.byes).toHaveLength(1);
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'meta', cause: 'bye' });
  });

  it("the PBX's BYE right behind its 200 OK: Meta gets 480, never a 200", async () => {
    const bed = inboundCall();
    const uac = await bed.sip.nextUac();
    const d = uac.answer();
    d.connected = false;
    await bed.running;
    await settle();
    expect(bed.caller.res.statuses).toEqual([480]);
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'pbx', cause: 'pbx-bye-at-answer' });
  });
});

describe('teardown while the legs are being made', () => {
  it('releases each leg when it arrives and sends no INVITE', async () => {
    const bed = inboundCall({ holdLegs: true });
    await settle();
    expect(bed.media.heldCount).toBe(2);
    bed.caller.req.emitCancel();
    await settle();
    bed.media.handOver();
    await bed.running;
    await settle();
    expect(bed.sip.uacs).toHaveLength(0);
    expect(bed.media.legs.map((l) => l.releases)).toEqual([1, 1]);
    expect(bed.caller.res.statuses).toEqual([487]);
    expect(bed.registry.size).toBe(0);
  });

  it('a media failure while ringing cancels the PBX INVITE and answers Meta 503', async () => {
    const bed = inboundCall();
    const uac = await bed.sip.nextUac();
    uac.provisional(180);
    bed.media.byTag('pbx').gone('MEDIA_TIMEOUT');
    await vi.advanceTimersByTimeAsync(200);
    expect(uac.request.cancels).toBe(1);
    uac.fail(487, 'Request Terminated');
    await bed.running;
    await settle();
    expect(bed.sip.uacs).toHaveLength(1);
    expect(bed.registry.size).toBe(0);
  });
});

describe('the call ended from outside while it rings (drain deadline, media server lost)', () => {
  it('CANCELs the far INVITE and answers the caller 503', async () => {
    const bed = inboundCall();
    const uac = await bed.sip.nextUac();
    uac.provisional(180);
    void bed.session.end('gateway', 'shutdown');
    await settle();
    expect(uac.request.cancels).toBe(1);
    expect(bed.caller.res.statuses).toEqual([180, 503]);
    uac.fail(487, 'Request Terminated');
    await bed.running;
    await settle();
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'gateway', cause: 'shutdown', sip_status: 503 });
  });
});
