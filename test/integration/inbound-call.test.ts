import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dominantTone } from '../support/media/tone';
import { RtpPeer } from '../support/media/rtp-peer';
import { header, headerAll, serialize, uriOf } from '../support/sip/message';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { TEST_BED } from '../support/servers';
import { establishInbound } from './flows';
import { BUSINESS, cdrFor, expectClean, startGateway, startMeta, startPbx, testBed, WA_USER, type Gateway } from './harness';

/**
 * Issue 2, acceptance 1 and 5: a WhatsApp user's call through the real drachtio-server and
 * FreeSWITCH to a PBX extension, media both ways decoded, hung up from either side.
 */
describe.skipIf(!testBed)('inbound call: Meta → gateway → PBX', () => {
  let gw: Gateway;
  let meta: MetaPeer;
  let pbx: PbxPeer;
  const rtp: RtpPeer[] = [];

  beforeAll(async () => {
    gw = await startGateway('inbound-call');
    meta = await startMeta();
    await meta.connect();
    pbx = await startPbx();
  });
  afterEach(async () => {
    for (const r of rtp.splice(0)) r.close();
    await expectClean(gw);
  });
  afterAll(async () => {
    await meta?.close();
    pbx?.close();
    await gw?.app.stop();
  });

  const establish = () => establishInbound(meta, pbx, rtp);

  it('answers Meta with Opus SDES and its Record-Route unchanged, carries audio both ways, ends on Meta BYE', async () => {
    const c = await establish();

    // the PBX INVITE: caller ID = the WhatsApp number, Meta's values as X- headers (SPEC P2)
    expect(c.inv.msg.uri).toBe(`sip:1001@${TEST_BED.pbx.host}:${TEST_BED.pbx.port};transport=udp`);
    expect(header(c.inv.msg, 'From')).toContain(`sip:${WA_USER}@`);
    expect(header(c.inv.msg, 'X-WA-Wacid')).toBe(header(c.attempt.invite, 'x-wa-meta-wacid'));
    expect(header(c.inv.msg, 'X-WA-Cta-Payload')).toBe('sales-promo');
    expect(/^m=audio \d+ RTP\/AVP 0 /m.test(c.inv.msg.body)).toBe(true);

    // the 200 OK: Meta's Record-Route set, byte for byte, as the last entries (SPEC M4)
    const rr = headerAll(c.ok, 'Record-Route');
    expect(rr.slice(-2)).toEqual(meta.recordRoute());
    const raw = serialize(c.ok);
    for (const r of meta.recordRoute()) expect(raw).toContain(r);
    // the answer: SDES-SRTP Opus with Meta's payload types, ptime 20 (SPEC M10)
    expect(c.ok.body).toMatch(/^m=audio \d+ RTP\/SAVP 111 126/m);
    expect(c.ok.body).toMatch(/^a=rtpmap:111 opus\/48000\/2/m);
    expect(c.ok.body).toMatch(/^a=rtpmap:126 telephone-event\/8000/m);

    // audio: the PBX plays 1 kHz, Meta plays 600 Hz; each side decodes the other's tone
    c.pbxRtp.startTone(1000);
    c.metaRtp.startTone(600);
    await new Promise((r) => setTimeout(r, 2000));
    const toMeta = c.metaRtp.receivedPcm();
    const toPbx = c.pbxRtp.receivedPcm();
    const heardByMeta = dominantTone(toMeta.subarray(Math.floor(toMeta.length / 3)), c.metaRtp.sampleRate, [600, 1000]);
    const heardByPbx = dominantTone(toPbx.subarray(Math.floor(toPbx.length / 3)), c.pbxRtp.sampleRate, [600, 1000]);
    expect(c.metaRtp.authFailures).toBe(0);
    expect(heardByMeta.freq).toBe(1000);
    expect(heardByMeta.ratio).toBeGreaterThan(5);
    expect(heardByPbx.freq).toBe(600);
    expect(heardByPbx.ratio).toBeGreaterThan(5);
    // our side sent toward Meta within 1 s of answering (SPEC M11)
    expect(c.metaRtp.firstPacketAt).not.toBeNull();
    expect(c.metaRtp.firstPacketAt! - c.okAt).toBeLessThan(1000);
    // Meta's ACK reached the gateway: no 200 OK retransmission after it
    await new Promise((r) => setTimeout(r, 1200));
    const oks = meta.received.filter((x) => x.msg.status === 200 && header(x.msg, 'Call-ID') === c.attempt.callId);
    expect(oks).toHaveLength(1);

    // Meta hangs up (with its call-duration header): the PBX gets a BYE
    const bye = meta.inDialog(c.metaDialog, 'BYE', [['x-wa-meta-call-duration', '3'], ['x-wa-meta-wacid', header(c.attempt.invite, 'x-wa-meta-wacid')!]]);
    const byeResp = await meta.request(bye);
    expect(byeResp.status).toBe(200);
    await pbx.waitRequest('BYE', header(c.inv.msg, 'Call-ID')!);

    const cdr = await cdrFor(gw, c.attempt.callId);
    expect(cdr).toMatchObject({
      direction: 'user-initiated', ended_by: 'meta', sip_status: 200, business_number: BUSINESS, whatsapp_user: WA_USER,
      wacid: header(c.attempt.invite, 'x-wa-meta-wacid'), pbx_call_id: header(c.inv.msg, 'Call-ID'), meta_call_duration_s: 3,
    });
    expect(cdr.answer_at).not.toBeNull();
  });

  it('sends Meta a BYE along its Record-Route set when the PBX hangs up', async () => {
    const c = await establish();
    const since = Date.now();
    const resp = await pbx.request(pbx.inDialog(c.pbxDialog, 'BYE'));
    expect(resp.status).toBe(200);
    const bye = await meta.wait((r) => r.msg.method === 'BYE' && header(r.msg, 'Call-ID') === c.attempt.callId, 10_000, 'BYE at Meta', since);
    // Request-URI = Meta's Contact; Route = Meta's Record-Route in order (RFC 3261 §12.2.1.1)
    expect(bye.msg.uri).toBe(uriOf(header(c.attempt.invite, 'Contact')!));
    expect(headerAll(bye.msg, 'Route')).toEqual(meta.recordRoute());
    expect(header(bye.msg, 'From')).toContain(`tag=${/tag=([^;>\s]+)/.exec(header(c.ok, 'To')!)![1]}`);
    const cdr = await cdrFor(gw, c.attempt.callId);
    expect(cdr.ended_by).toBe('pbx');
  });
});
