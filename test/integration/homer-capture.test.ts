import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsApi } from '../support/esl';
import { HepReceiver, sipHeader } from '../support/hep-receiver';
import type { RtpPeer } from '../support/media/rtp-peer';
import { header } from '../support/sip/message';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { findServers, FS_HEP_ID, FS_HEP_PORT, SPARE_BED, startDrachtio, TEST_BED, type Running } from '../support/servers';
import { establishInbound } from './flows';
import { expectClean, gatewayYaml, startGateway, startMeta, startPbx, testBed, type Gateway } from './harness';

/**
 * Issue 13, acceptance 5: SIP capture to Homer. drachtio-server (its own, on the spare
 * ports, with --homer and --homer-id) and the test bed's FreeSWITCH (sofia capture-server,
 * switched on for this file) send HEP v3 to a receiver in the test, decoded with hep-js.
 * With homer.correlation_header X-CID, the PBX leg's INVITE carries the Meta leg's Call-ID.
 */
const DRACHTIO_HEP_PORT = 19060;
const DRACHTIO_HEP_ID = 101;
const f = TEST_BED.freeswitch;

describe.skipIf(!testBed)('SIP capture to Homer (HEP v3)', () => {
  let drachtio: Running;
  let fromDrachtio: HepReceiver;
  let fromFs: HepReceiver;
  let gw: Gateway;
  let meta: MetaPeer;
  let pbx: PbxPeer;
  const rtp: RtpPeer[] = [];

  beforeAll(async () => {
    fromDrachtio = await HepReceiver.start(DRACHTIO_HEP_PORT);
    fromFs = await HepReceiver.start(FS_HEP_PORT);
    drachtio = await startDrachtio(findServers().drachtio!, testBed!.certs.gateway, SPARE_BED.drachtio, 'drachtio-homer',
      ['--homer', `127.0.0.1:${DRACHTIO_HEP_PORT}`, '--homer-id', String(DRACHTIO_HEP_ID)]);
    await fsApi(f.host, f.eslPort, f.password, 'sofia global capture on');
    gw = await startGateway('homer', gatewayYaml('homer:\n  correlation_header: X-CID\n', { drachtio: SPARE_BED.drachtio, freeswitch: TEST_BED.freeswitch }));
    meta = await startMeta(SPARE_BED.drachtio);
    await meta.connect();
    pbx = await startPbx(TEST_BED.pbx.host, SPARE_BED.drachtio);
  });
  afterAll(async () => {
    for (const r of rtp.splice(0)) await r.close();
    await fsApi(f.host, f.eslPort, f.password, 'sofia global capture off').catch(() => '');
    await meta?.close();
    pbx?.close();
    await gw?.app.stop();
    await drachtio?.stop();
    await fromDrachtio?.close();
    await fromFs?.close();
  });

  it("drachtio-server sends the call's INVITE and 200 OK with its Call-ID; FreeSWITCH its own legs; the PBX leg names the Meta leg in X-CID", async () => {
    const c = await establishInbound(meta, pbx, rtp);
    const callId = c.attempt.callId;
    const invite = await fromDrachtio.waitFor((p) => p.sip.startsWith('INVITE ') && sipHeader(p.sip, 'Call-ID') === callId, 5000, `Meta's INVITE, Call-ID ${callId}`);
    const ok = await fromDrachtio.waitFor((p) => p.sip.startsWith('SIP/2.0 200') && sipHeader(p.sip, 'Call-ID') === callId && /INVITE/i.test(sipHeader(p.sip, 'CSeq') ?? ''), 5000, `our 200 OK, Call-ID ${callId}`);
    expect(invite.info.captureId).toBe(DRACHTIO_HEP_ID);
    expect(ok.info.captureId).toBe(DRACHTIO_HEP_ID);
    expect(invite.info.srcIp).toBe(TEST_BED.meta.host);
    // the INVITE to the PBX, captured too, names the Meta leg: Homer links the two
    const pbxCallId = header(c.inv.msg, 'Call-ID')!;
    const toPbx = await fromDrachtio.waitFor((p) => p.sip.startsWith('INVITE ') && sipHeader(p.sip, 'Call-ID') === pbxCallId, 5000, 'the INVITE to the PBX');
    expect(sipHeader(toPbx.sip, 'X-CID')).toBe(callId);
    expect(header(c.inv.msg, 'X-CID')).toBe(callId);
    // FreeSWITCH captures its side of the legs the gateway opened there
    const fsLeg = await fromFs.waitFor((p) => /^(INVITE |SIP\/2\.0 200)/.test(p.sip), 5000, 'a SIP message of a FreeSWITCH leg');
    expect(fsLeg.info.captureId).toBe(FS_HEP_ID);
    process.stdout.write(`homer: ${fromDrachtio.packets.length} HEP packets from drachtio-server, ${fromFs.packets.length} from FreeSWITCH\n`);
    await meta.request(meta.inDialog(c.metaDialog, 'BYE'));
    for (const r of rtp.splice(0)) await r.close();
    await expectClean(gw);
  });
});
