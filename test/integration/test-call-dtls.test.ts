import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reportText } from '../../src/testcall/report';
import { RtpPeer } from '../support/media/rtp-peer';
import { findRtpengine, RtpengineServer } from '../support/rtpengine';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { BUSINESS, expectClean, gatewayYaml, startGateway, startPbx, testBed, until, type Gateway } from './harness';
import { agentCallRefused, agentDialsAndEchoes, outboundCommand, pbxAnswersAfterRinging, testCall } from './test-call-run';

/**
 * Issue 14 with issue 11: `wa-sip-gateway test-call --srtp dtls` (its own process) proves a
 * number in Meta's DTLS-SRTP / ICE-lite mode end to end, against the gateway on the real
 * drachtio-server, FreeSWITCH and rtpengine, the PBX emulator echoing with a 1000 Hz tone of
 * its own: DTLS completes with the gateway as client and ICE controlling, tone both ways,
 * DTMF, exit 0; and `--outbound` answers the gateway's DTLS offer passive, with the same report.
 */
const rtpengineBin = findRtpengine();
if (testBed && !rtpengineBin) process.stdout.write('SKIPPED: test-call --srtp dtls integration tests (issue 14): rtpengine not found (apt-get install rtpengine-daemon, or RTPENGINE_BIN)\n');

const DTLS_NUMBER = '+12145551870';

function yaml(): string {
  const base = gatewayYaml(`rtpengine:\n  address: 127.0.0.1:22322\n  ping_interval_ms: 500\n`);
  const dtlsNumber = `  - number: "${DTLS_NUMBER}"\n    sip_password_env: TEST_META_PASSWORD\n    pbx: main\n    destination: "1002"\n    country_rule: allow\n    srtp: dtls\npbxs:\n`;
  // the PBX's agent calls come from the DTLS number
  return base.replace('pbxs:\n', dtlsNumber).replace(`business_number: "${BUSINESS}"`, `business_number: "${DTLS_NUMBER}"`);
}

describe.skipIf(!testBed || !rtpengineBin)('test-call --srtp dtls: a synthetic WhatsApp call in DTLS-SRTP mode', () => {
  let rtpe: RtpengineServer;
  let gw: Gateway;
  let pbx: PbxPeer;
  const rtp: RtpPeer[] = [];

  beforeAll(async () => {
    rtpe = await RtpengineServer.start(rtpengineBin!);
    gw = await startGateway('test-call-dtls', yaml());
    pbx = await startPbx();
  });
  afterEach(async () => {
    for (const r of rtp.splice(0)) await r.close();
    await expectClean(gw);
    await until(async () => (await rtpe.sessions()).length === 0, 5000, 'zero rtpengine sessions');
  });
  afterAll(async () => {
    pbx?.close();
    await gw?.app.stop();
    await rtpe?.stop();
  });

  it('into the gateway: DTLS completes with the gateway as client and ICE controlling, tone both ways, DTMF, exit 0', async () => {
    const answered = pbxAnswersAfterRinging(pbx, rtp, (peer) => peer.startEcho(1000));
    const run = await testCall(['--number', DTLS_NUMBER, '--srtp', 'dtls', '--seconds', '6', '--cdr', gw.cdrFile]);
    const pbxCallId = await answered;
    const r = run.report;
    console.log(reportText(r));
    expect(run.code, run.stderr).toBe(0);
    expect(r.final).toMatchObject({ status: 200 });
    expect(r.media).toMatchObject({ profile: 'UDP/TLS/RTP/SAVPF', srtpSuite: 'SRTP_AES128_CM_HMAC_SHA1_80', opusPt: 111, dtmfPt: 126, srtpAuthFailures: 0 });
    const k = r.media!.keyExchange;
    expect(k).toMatchObject({ method: 'dtls', suite: 'SRTP_AES128_CM_HMAC_SHA1_80', dtls: { setup: 'active', failure: null, iceControlling: true, useCandidate: true } });
    expect(k.dtls!.iceChecks).toBeGreaterThan(0);
    expect(k.dtls!.completedMs).toBeLessThan(1000);
    expect(reportText(r)).toMatch(/key exchange: +DTLS-SRTP, the gateway a=setup:active; completed \d+ ms (before|after) the 200 OK/);
    expect(r.media!.packetsReceived).toBeGreaterThan(200);
    expect(Math.abs(r.heard!.otherTone!.hz - 1000)).toBeLessThanOrEqual(20);
    expect(r.heard!.ownTone).not.toBeNull();
    // Meta's digits at the PBX in order, and every one echoed back to Meta (the order back is
    // not asserted: it came back 1342 in some runs, an open finding, see the --outbound test)
    expect(rtp[0]!.dtmfDigits()).toBe('1234');
    expect([...r.dtmf!.cameBack].sort().join('')).toBe('1234');
    expect(r.hangup).toMatchObject({ by: 'test-call', byeStatus: 200 });
    expect(r.cdr).toMatchObject({ meta_call_id: r.callId, pbx_call_id: pbxCallId, business_number: DTLS_NUMBER, ended_by: 'meta' });
    expect(r.bothWays).toBe(true);
  });

  it("--outbound answers the gateway's DTLS offer passive, as Meta does: tone both ways, DTMF, exit 0", async () => {
    const { done } = await outboundCommand(['--srtp', 'dtls', '--seconds', '5', '--cdr', gw.cdrFile]);
    const peer = await agentDialsAndEchoes(pbx, rtp);
    const run = await done;
    const r = run.report;
    console.log(reportText(r));
    expect(run.code, run.stderr).toBe(0);
    expect(r).toMatchObject({ direction: 'business-initiated', number: DTLS_NUMBER, challenge: { status: 407 }, final: { status: 200 } });
    expect(r.media).toMatchObject({ profile: 'UDP/TLS/RTP/SAVPF', srtpSuite: 'SRTP_AES128_CM_HMAC_SHA1_80', srtpAuthFailures: 0 });
    const k = r.media!.keyExchange;
    expect(k).toMatchObject({ method: 'dtls', dtls: { failure: null, iceControlling: true, useCandidate: true } });
    expect(['actpass', 'active']).toContain(k.dtls!.setup);
    // the gateway's own test (dtls-call.test.ts) holds it to 1 s; here it must only complete
    // (seen 0.5-1.2 s after our 200 OK: rtpengine's first ClientHello sometimes goes unanswered)
    expect(k.dtls!.completedMs).toEqual(expect.any(Number));
    expect(Math.abs(r.heard!.otherTone!.hz - 1000)).toBeLessThanOrEqual(20);
    expect(r.heard!.ownTone).not.toBeNull();
    // Meta's digits at the PBX in order; every one echoed back to Meta. The order back is not
    // asserted: on this leg it came back 1342 in some runs (FreeSWITCH -> rtpengine), an open finding
    expect(peer.dtmfDigits()).toBe('1234');
    expect([...r.dtmf!.cameBack].sort().join('')).toBe('1234');
    expect(r.cdr).toMatchObject({ direction: 'business-initiated', meta_call_id: r.callId, business_number: DTLS_NUMBER });
    expect(r.bothWays).toBe(true);
  });

  it('--outbound --srtp sdes refuses the DTLS offer with 488 and says why', async () => {
    const { done } = await outboundCommand(['--srtp', 'sdes', '--seconds', '3']);
    const final = await agentCallRefused(pbx);
    const run = await done;
    console.log(reportText(run.report));
    expect(run.code).toBe(1);
    expect(run.report.final).toMatchObject({ status: 488, warning: 'the offer uses DTLS, but --srtp says the number is SDES at Meta' });
    expect(run.report.media).toBeNull();
    expect(final.status).toBeGreaterThanOrEqual(400);
  });
});
