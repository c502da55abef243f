import { describe, expect, it } from 'vitest';
import { RtpPeer } from '../support/media/rtp-peer';
import { toneLevel } from '../support/media/tone';
import { mediaTarget, pbxSdp } from '../support/sdp';
import { header } from '../support/sip/message';
import { TEST_BED } from '../support/servers';
import { establishInbound } from './flows';
import { cdrFor, gatewayYaml, testBed, useCallBed } from './harness';

/**
 * Issue 4: DTMF both ways, PBX hold / resume / re-INVITE kept away from Meta with media
 * toward Meta never stopping, media watchdogs, and audio at answer.
 */
const WATCHDOG_S = 4;

describe.skipIf(!testBed)('in the call', () => {
  const bed = useCallBed('in-call', gatewayYaml(`media:\n  meta_rtp_timeout_seconds: ${WATCHDOG_S}\n`));
  const { rtp } = bed;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


  async function hangUp(c: Awaited<ReturnType<typeof establishInbound>>): Promise<void> {
    expect(await bed.meta.request(bed.meta.inDialog(c.metaDialog, 'BYE'))).toMatchObject({ status: 200 });
  }

  /** Meta never hears a re-INVITE or UPDATE for this call */
  function metaSawNoRenegotiation(callId: string): void {
    const late = bed.meta.received.filter((r) => header(r.msg, 'Call-ID') === callId && (r.msg.method === 'UPDATE' || (r.msg.method === 'INVITE' && /tag=/.test(header(r.msg, 'To') ?? ''))));
    expect(late).toHaveLength(0);
  }

  it('carries RFC 4733 digits 0-9 * # A-D from Meta (PT 126) to the PBX (PT 101) and back, and PBX INFO digits to Meta', async () => {
    const c = await establishInbound(bed.meta, bed.pbx, rtp);
    c.metaRtp.startSilence();
    c.pbxRtp.startSilence();
    await sleep(300);
    const digits = '0123456789*#ABCD';
    for (const d of digits) await c.metaRtp.sendDtmf(d, 100);
    await c.pbxRtp.waitFor((p) => p.dtmfDigits().length >= digits.length, 5000, 'digits at the PBX');
    expect(c.pbxRtp.dtmfDigits()).toBe(digits);
    expect(new Set(c.pbxRtp.dtmfEvents.map((e) => e.payloadType))).toEqual(new Set([101]));

    for (const d of '42#') await c.pbxRtp.sendDtmf(d, 100);
    await c.metaRtp.waitFor((p) => p.dtmfDigits().length >= 3, 5000, 'digits at Meta');
    expect(c.metaRtp.dtmfDigits()).toBe('42#');
    expect(new Set(c.metaRtp.dtmfEvents.map((e) => e.payloadType))).toEqual(new Set([126]));

    const info = await bed.pbx.request(bed.pbx.inDialog(c.pbxDialog, 'INFO', [['Content-Type', 'application/dtmf-relay']], 'Signal=7\r\nDuration=160\r\n'));
    expect(info.status).toBe(200);
    await c.metaRtp.waitFor((p) => p.dtmfDigits().length >= 4, 5000, 'INFO digit at Meta');
    expect(c.metaRtp.dtmfDigits()).toBe('42#7');
    await hangUp(c);
  });

  it('holds for 60 s, resumes on a new address, never re-INVITEs Meta, and never goes silent toward Meta', async () => {
    const c = await establishInbound(bed.meta, bed.pbx, rtp);
    c.metaRtp.startSilence();
    c.pbxRtp.startTone(1000);
    await sleep(500);
    // hold: the PBX stops sending; Meta must keep receiving packets
    c.pbxRtp.stop();
    const hold = await bed.pbx.request(bed.pbx.inDialog(c.pbxDialog, 'INVITE', [['Content-Type', 'application/sdp'], ['Contact', bed.pbx.contact()]],
      pbxSdp({ ip: TEST_BED.pbx.host, port: c.pbxRtp.port, direction: 'inactive' })));
    expect(hold.status).toBe(200);
    expect(hold.body).toMatch(/a=inactive/);
    bed.pbx.ack2xx(c.pbxDialog, c.pbxDialog.cseq);
    const gaps: number[] = [];
    let last = c.metaRtp.packetsReceived;
    for (let t = 0; t < 60; t += 5) {
      await sleep(5000);
      gaps.push(c.metaRtp.packetsReceived - last);
      last = c.metaRtp.packetsReceived;
    }
    // 5 s of 20 ms packets is 250; ask for most of them in every 5 s of the hold
    expect(Math.min(...gaps)).toBeGreaterThan(200);

    // resume on a new media address
    const moved = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
    rtp.push(moved);
    const resume = await bed.pbx.request(bed.pbx.inDialog(c.pbxDialog, 'INVITE', [['Content-Type', 'application/sdp'], ['Contact', bed.pbx.contact()]],
      pbxSdp({ ip: TEST_BED.pbx.host, port: moved.port })));
    expect(resume.status).toBe(200);
    bed.pbx.ack2xx(c.pbxDialog, c.pbxDialog.cseq);
    const fs = mediaTarget(resume.body);
    moved.setRemote(fs.ip, fs.port);
    moved.startTone(1000);
    c.metaRtp.startTone(600);
    await sleep(1500);
    const atNew = moved.receivedPcm();
    expect(toneLevel(atNew.subarray(atNew.length / 2), 8000, 600)).toBeGreaterThan(1000);
    metaSawNoRenegotiation(c.attempt.callId);
    await hangUp(c);
  }, 90_000);

  it('ends both legs when Meta stops sending media, with the cause in the CDR', async () => {
    const c = await establishInbound(bed.meta, bed.pbx, rtp);
    c.metaRtp.startSilence();
    c.pbxRtp.startSilence();
    await sleep(1000);
    const stoppedAt = Date.now();
    c.metaRtp.stop();
    await bed.pbx.waitRequest('BYE', header(c.inv.msg, 'Call-ID')!, (WATCHDOG_S + 4) * 1000);
    await bed.meta.waitRequest('BYE', c.attempt.callId, 5000);
    expect(Date.now() - stoppedAt).toBeLessThan((WATCHDOG_S + 3) * 1000);
    const cdr = await cdrFor(bed.gw, c.attempt.callId);
    expect(cdr).toMatchObject({ ended_by: 'gateway', cause: 'meta-media-timeout' });
  }, 30_000);

  it('measures how much of a tone the PBX starts at answer reaches Meta', async () => {
    const c = await establishInbound(bed.meta, bed.pbx, rtp, { pbxToneAtAnswer: 1000 });
    c.metaRtp.startSilence();
    await sleep(1000);
    c.pbxRtp.startSilence();
    await sleep(500);
    // 10 ms blocks of what Meta decoded: the tone's length there vs the 1000 ms sent
    const pcm = c.metaRtp.receivedPcm();
    const block = c.metaRtp.sampleRate / 100;
    let toneBlocks = 0;
    for (let i = 0; i + block <= pcm.length; i += block) if (toneLevel(pcm.subarray(i, i + block), c.metaRtp.sampleRate, 1000) > 1500) toneBlocks++;
    const lostMs = Math.max(0, 1000 - toneBlocks * 10);
    process.stdout.write(`MEASURED: tone started by the PBX at answer: ${toneBlocks * 10} ms of 1000 ms reached Meta (${lostMs} ms lost)\n`);
    expect(toneBlocks).toBeGreaterThan(50);
    await hangUp(c);
  });
});
