import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PermissionCheck, PermissionOutcome } from '../../../src/call/call-permission';
import { outboundCall, settle } from './flow-bed';

/**
 * The call permission step in an agent's call, on the typed fakes: a refusal ends the call
 * with 403 and a plain-words Warning before any INVITE to Meta, the call stays abandonable
 * while the check runs, and Meta's own refusals get the same plain causes.
 */

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

/** a check the test answers; records what it was asked */
function fakeCheck() {
  const asked: { business: string; user: string; signal: AbortSignal }[] = [];
  const forgotten: string[] = [];
  let answer: (o: PermissionOutcome) => void = () => undefined;
  const check: PermissionCheck = {
    check: (business, user, signal) => {
      asked.push({ business: business.number, user, signal });
      return new Promise((resolve) => { answer = resolve; });
    },
    forget: (_b, user) => void forgotten.push(user),
  };
  return { check, asked, forgotten, answer: (o: PermissionOutcome) => answer(o) };
}

describe("an agent's call and Meta's call permissions", () => {
  it('refused by the check: 403 with our plain-words Warning, no INVITE to Meta, the CDR says why', async () => {
    const p = fakeCheck();
    const bed = outboundCall({ permissions: p.check });
    await settle();
    expect(p.asked).toMatchObject([{ business: '+12145551869', user: '+441234567890' }]);
    p.answer({ kind: 'refuse', cause: 'no-call-permission', text: 'the WhatsApp user has not allowed calls from this business number' });
    await bed.running;
    await settle();
    const warning = '399 gw.example.com "the WhatsApp user has not allowed calls from this business number"';
    expect(bed.caller.res.final).toMatchObject({ status: 403, reason: 'No Call Permission', headers: { Warning: warning } });
    expect(bed.sip.uacs).toHaveLength(0);
    expect(bed.media.legs.map((l) => l.releases)).toEqual([1, 1]);
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'gateway', cause: 'no-call-permission', sip_status: 403, meta_warning: warning });
  });

  it('allowed, or unchecked (Graph API down): the INVITE goes to Meta as without the check', async () => {
    for (const o of [{ kind: 'allow', permission: 'temporary' }, { kind: 'unchecked', why: 'timeout', detail: 'no answer within 1000 ms' }] as PermissionOutcome[]) {
      const p = fakeCheck();
      const bed = outboundCall({ permissions: p.check });
      await settle();
      expect(bed.sip.uacs).toHaveLength(0); // not before the check has answered
      p.answer(o);
      const uac = await bed.sip.nextUac();
      expect(uac.uri).toBe('sip:+441234567890@wa.meta.vc;transport=tls');
      uac.fail(486, 'Busy Here');
      await bed.running;
    }
  });

  it('the agent hangs up while the check runs: 487, no INVITE to Meta ever, the check told by its signal', async () => {
    const p = fakeCheck();
    const bed = outboundCall({ permissions: p.check });
    await settle();
    bed.caller.req.emitCancel();
    await settle();
    expect(p.asked[0]!.signal.aborted).toBe(true);
    expect(bed.caller.res.final?.status).toBe(487);
    await bed.running;
    // the check answers late, allowing the call: nothing goes out
    p.answer({ kind: 'allow', permission: 'temporary' });
    await settle();
    expect(bed.sip.uacs).toHaveLength(0);
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'pbx', cause: 'cancel' });
    expect(bed.registry.size).toBe(0);
  });

  it("Meta's own refusal gets the same plain cause: our Warning first, Meta's after it; the check asks afresh next time", async () => {
    const p = fakeCheck();
    const bed = outboundCall({ permissions: p.check });
    await settle();
    p.answer({ kind: 'allow', permission: 'temporary' });
    const meta = '399 wa.meta.vc "No Approved Call Permission Found"';
    (await bed.sip.nextUac()).fail(403, 'Forbidden', { Warning: meta });
    await bed.running;
    await settle();
    expect(bed.caller.res.final).toMatchObject({
      status: 403, reason: 'No Call Permission',
      headers: { Warning: `399 gw.example.com "the WhatsApp user has not allowed calls from this business number", ${meta}` },
    });
    expect(bed.cdrs[0]).toMatchObject({ ended_by: 'meta', cause: 'no-call-permission', meta_warning: meta });
    expect(p.forgotten).toEqual(['+441234567890']);
  });

  it("a Warning of Meta's we do not know is passed on as it came", async () => {
    const bed = outboundCall();
    const meta = '399 wa.meta.vc "Something else entirely"';
    (await bed.sip.nextUac()).fail(403, 'Forbidden', { Warning: meta });
    await bed.running;
    await settle();
    expect(bed.caller.res.final).toMatchObject({ status: 403, reason: 'Forbidden', headers: { Warning: meta } });
    expect(bed.cdrs[0]).toMatchObject({ cause: 'meta-403', meta_warning: meta });
  });
});
