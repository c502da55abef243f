import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reportText } from '../../src/testcall/report';
import { RtpPeer } from '../support/media/rtp-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { TEST_BED } from '../support/servers';
import { BUSINESS, expectClean, startGateway, startPbx, testBed, type Gateway } from './harness';
import { agentCallRefused, agentDialsAndEchoes, outboundCommand, pbxAnswersAfterRinging, testCall } from './test-call-run';

/**
 * Issue 14, acceptance 1: `wa-sip-gateway test-call` (the real entry, as its own process)
 * against the gateway on the real servers, from the Meta address of the test bed, with the
 * PBX emulator answering extension 1001 as an echo-test extension that also plays a 1000 Hz
 * tone of its own. It reports the tone both ways and DTMF and exits 0; a wrong password gets
 * 403 and exit 1, an unknown number 404 and exit 1; a far end that only plays a tone cannot
 * show that it heard us, and the command says so and exits 1.
 */

describe.skipIf(!testBed)('test-call: a synthetic WhatsApp call into the gateway', () => {
  let gw: Gateway;
  let pbx: PbxPeer;
  const rtp: RtpPeer[] = [];

  beforeAll(async () => {
    gw = await startGateway('test-call');
    pbx = await startPbx();
  });
  afterEach(async () => {
    for (const r of rtp.splice(0)) await r.close();
    await expectClean(gw);
  });
  afterAll(async () => {
    pbx?.close();
    await gw?.app.stop();
  });

  it('reports admission, route, times, the tone both ways and DTMF, and exits 0 against an echoing PBX', async () => {
    const answered = pbxAnswersAfterRinging(pbx, rtp, (peer) => peer.startEcho(1000));
    const run = await testCall(['--number', BUSINESS, '--seconds', '6', '--cdr', gw.cdrFile]);
    const pbxCallId = await answered;
    const r = run.report;
    console.log(reportText(r));
    expect(run.code, run.stderr).toBe(0);
    expect(r.tls).toMatchObject({ ok: true });
    expect(r.challenge?.status).toBe(407);
    expect(r.final).toMatchObject({ status: 200 });
    expect(r.to180Ms).toBeGreaterThan(0);
    expect(r.to200Ms).toBeGreaterThanOrEqual(300);
    expect(r.to200Ms!).toBeGreaterThan(r.to180Ms!);
    expect(r.recordRouteKept).toBe(true);
    expect(r.media).toMatchObject({ profile: 'RTP/SAVP', srtpSuite: 'AES_CM_128_HMAC_SHA1_80', opusPt: 111, dtmfPt: 126, srtpAuthFailures: 0 });
    expect(r.media!.packetsReceived).toBeGreaterThan(200);
    // the PBX's own 1000 Hz tone, and our 600 Hz tone back through the PBX's echo
    expect(Math.abs(r.heard!.otherTone!.hz - 1000)).toBeLessThanOrEqual(20);
    expect(r.heard!.ownTone).not.toBeNull();
    expect(r.dtmf).toEqual({ sent: '1234', cameBack: '1234' });
    expect(r.hangup).toMatchObject({ by: 'test-call', byeStatus: 200 });
    expect(r.route).toEqual({ pbx: 'main', destination: '1001' });
    expect(r.cdr).toMatchObject({ meta_call_id: r.callId, pbx_call_id: pbxCallId, ended_by: 'meta', sip_status: 200 });
    expect(r.bothWays).toBe(true);
  });

  it('exits 1 when the far end only plays a tone: audio from the PBX, but nothing shows that it heard us', async () => {
    const answered = pbxAnswersAfterRinging(pbx, rtp, (peer) => peer.startTone(1000));
    const run = await testCall(['--number', BUSINESS, '--seconds', '4']);
    await answered;
    const r = run.report;
    console.log(reportText(r));
    expect(run.code).toBe(1);
    expect(r.final?.status).toBe(200);
    expect(Math.abs(r.heard!.otherTone!.hz - 1000)).toBeLessThanOrEqual(20);
    expect(r.heard!.ownTone).toBeNull();
    expect(r.dtmf?.cameBack).toBe('');
    expect(r.bothWays).toBe(false);
  });

  it('reports 403 and exits 1 with a wrong SIP password; the PBX gets nothing', async () => {
    const invitesBefore = pbx.requests('INVITE').length;
    const run = await testCall(['--number', BUSINESS], { WA_TEST_PASSWORD: 'not-the-password' });
    console.log(reportText(run.report));
    expect(run.code).toBe(1);
    expect(run.report.challenge?.status).toBe(407);
    expect(run.report.final?.status).toBe(403);
    expect(run.report.media).toBeNull();
    expect(pbx.requests('INVITE').length).toBe(invitesBefore);
  });

  it('--outbound stands in for wa.meta.vc: an agent\'s call is challenged, verified, answered and reported with tone both ways', async () => {
    const { done } = await outboundCommand(['--seconds', '5', '--cdr', gw.cdrFile]);
    const peer = await agentDialsAndEchoes(pbx, rtp);
    const run = await done;
    const r = run.report;
    console.log(reportText(r));
    expect(run.code, run.stderr).toBe(0);
    expect(r.direction).toBe('business-initiated');
    expect(r.outbound).toMatchObject({ requestUri: 'sip:+447700900123@wa.meta.vc;transport=tls', checks: [] });
    expect(r.outbound!.fromHeader).toMatch(new RegExp(`^<sip:\\${BUSINESS}@${TEST_BED.gatewayHostname}>`));
    expect(r).toMatchObject({ number: BUSINESS, from: '+447700900123', challenge: { status: 407 }, final: { status: 200 } });
    expect(r.media).toMatchObject({ srtpAuthFailures: 0 });
    expect(Math.abs(r.heard!.otherTone!.hz - 1000)).toBeLessThanOrEqual(20);
    expect(r.heard!.ownTone).not.toBeNull();
    expect(r.dtmf).toEqual({ sent: '1234', cameBack: '1234' });
    expect(r.hangup).toMatchObject({ by: 'test-call', byeStatus: 200 });
    expect(r.cdr).toMatchObject({ direction: 'business-initiated', meta_call_id: r.callId, ended_by: 'meta' });
    expect(r.bothWays).toBe(true);
  });

  it('--outbound refuses the gateway\'s credentials with 403 when the password is not the number\'s', async () => {
    const { done } = await outboundCommand(['--seconds', '3'], { WA_TEST_PASSWORD: 'not-the-password' });
    const final = await agentCallRefused(pbx);
    const run = await done;
    console.log(reportText(run.report));
    expect(run.code).toBe(1);
    expect(run.report.final).toMatchObject({ status: 403, warning: 'digest bad-response' });
    expect(final.status).toBe(403);
  });

  it('reports 404 and exits 1 for a number the gateway does not have', async () => {
    const run = await testCall(['--number', '+12145550000']);
    console.log(reportText(run.report));
    expect(run.code).toBe(1);
    expect(run.report.final?.status).toBe(404);
    expect(run.report.bothWays).toBe(false);
  });
});
