import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RtpPeer } from '../support/media/rtp-peer';
import { newSdesKey, parseCrypto } from '../support/media/srtp-keys';
import { dominantTone } from '../support/media/tone';
import { mediaTarget, metaOffer, pbxSdp } from '../support/sdp';
import { header, headerAll, randomToken, uriOf } from '../support/sip/message';
import { MetaPeer } from '../support/sip/meta-peer';
import { SipPeer } from '../support/sip/peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { TEST_BED } from '../support/servers';
import { metaInviteWithAuth } from './flows';
import { cdrFor, expectClean, gatewayYaml, startGateway, startPbx, testBed, type Gateway } from './harness';

/**
 * Issue 10, acceptance 5: a WhatsApp call from Meta over IPv6 loopback. The Meta emulator
 * connects from [::1] to drachtio-server's TLS listener on [::1], offers SRTP media on
 * [::1], and the gateway (source_ranges with ::1/128) takes it end to end: the PBX rings on
 * IPv4, and each side decodes the other's tone.
 */
const META6 = { host: '::1', listenPort: 15072 };
const yaml = gatewayYaml().replace(`source_ranges: [${TEST_BED.meta.host}/32]`, `source_ranges: [${TEST_BED.meta.host}/32, "::1/128"]`);

describe.skipIf(!testBed)('a Meta call over IPv6', () => {
  let gw: Gateway;
  let meta: MetaPeer;
  let pbx: PbxPeer;
  const rtp: RtpPeer[] = [];

  beforeAll(async () => {
    gw = await startGateway('ipv6-call', yaml);
    const tb = testBed!;
    meta = await MetaPeer.start({
      ...META6, cert: tb.certs.meta.cert, key: tb.certs.meta.key,
      gateway: { host: '::1', port: TEST_BED.drachtio.tlsPort, servername: TEST_BED.gatewayHostname, ca: tb.certs.caCert },
    });
    await meta.connect();
    pbx = await startPbx();
  });
  afterEach(async () => {
    for (const r of rtp.splice(0)) await r.close();
    await expectClean(gw);
  });
  afterAll(async () => {
    await meta?.close();
    pbx?.close();
    await gw?.app.stop();
  });

  it('is admitted from [::1], rings the PBX, and carries audio both ways', async () => {
    expect(gw.cfg.meta.source_ranges).toContain('::1/128');
    const metaKey = newSdesKey();
    const metaRtp = await RtpPeer.open({ host: META6.host, codec: 'OPUS', payloadType: 111, dtmfPayloadType: 126, srtp: { localKeyB64: metaKey } });
    rtp.push(metaRtp);
    const attempt = await metaInviteWithAuth(meta, metaOffer({ ip: META6.host, port: metaRtp.port, keyB64: metaKey }));
    expect(header(attempt.first, 'Via')).toMatch(/^SIP\/2\.0\/TLS \[::1\]:\d+;/);

    const inv = await pbx.nextInvite();
    const pbxRtp = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
    rtp.push(pbxRtp);
    const toPbx = mediaTarget(inv.msg.body);
    pbxRtp.setRemote(toPbx.ip, toPbx.port);
    const toTag = randomToken('p');
    pbx.ringAt(inv, toTag);
    pbx.answer(inv, pbxSdp({ ip: TEST_BED.pbx.host, port: pbxRtp.port }), toTag);
    const ok = (await meta.waitResponse(attempt.callId, attempt.cseq, (s) => s >= 200)).msg;
    expect(ok.status).toBe(200);
    const dialog = SipPeer.uacDialog(attempt.invite, ok);
    dialog.routes = [];
    meta.ack2xx(dialog, attempt.cseq);

    // Meta's Record-Route with its IPv6 hop, unchanged; our Contact on drachtio's IPv6 listener
    expect(headerAll(ok, 'Record-Route').slice(-2)).toEqual(meta.recordRoute());
    expect(meta.recordRoute()[0]).toBe(`<sip:[::1]:${META6.listenPort};transport=tls;lr>`);
    expect(uriOf(header(ok, 'Contact')!)).toBe(`sip:[::1]:${TEST_BED.drachtio.tlsPort};transport=tls`);

    const crypto = parseCrypto(ok.body)!;
    metaRtp.setSrtpRemoteKey(crypto.keyB64);
    const toMeta = mediaTarget(ok.body);
    metaRtp.setRemote(toMeta.ip, toMeta.port);

    pbxRtp.startTone(1000);
    metaRtp.startTone(600);
    await new Promise((r) => setTimeout(r, 2000));
    const atMeta = metaRtp.receivedPcm();
    const atPbx = pbxRtp.receivedPcm();
    const heardByMeta = dominantTone(atMeta.subarray(Math.floor(atMeta.length / 3)), metaRtp.sampleRate, [600, 1000]);
    const heardByPbx = dominantTone(atPbx.subarray(Math.floor(atPbx.length / 3)), pbxRtp.sampleRate, [600, 1000]);
    const bye = await meta.request(meta.inDialog(dialog, 'BYE'));
    expect(bye.status).toBe(200);

    expect({ answerAddress: toMeta.ip, authFailures: metaRtp.authFailures }).toEqual({ answerAddress: '::1', authFailures: 0 });
    expect(heardByMeta.freq).toBe(1000);
    expect(heardByMeta.ratio).toBeGreaterThan(5);
    expect(heardByPbx.freq).toBe(600);
    expect(heardByPbx.ratio).toBeGreaterThan(5);
    await pbx.waitRequest('BYE', header(inv.msg, 'Call-ID')!);
    expect((await cdrFor(gw, attempt.callId)).ended_by).toBe('meta');
  });
});
