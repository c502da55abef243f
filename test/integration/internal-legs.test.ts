import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { logEntries } from '../support/gateway-log';
import { pbxSdp } from '../support/sdp';
import { header } from '../support/sip/message';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { TEST_BED } from '../support/servers';
import { expectClean, fsChannels, startGateway, startMeta, startPbx, testBed, type Gateway } from './harness';

/**
 * Issue 10, acceptance 3: `X-WA-Leg-Id` marks FreeSWITCH's own INVITEs (legs it originates
 * for us) only when it comes from a connected media server's SIP address. From anywhere
 * else the header is ignored (and logged) and the INVITE goes through ordinary admission.
 */
describe.skipIf(!testBed)('X-WA-Leg-Id from an address that is no media server', () => {
  let gw: Gateway;
  let meta: MetaPeer;
  let stranger: PbxPeer;
  let pbx: PbxPeer;
  const sdp = pbxSdp({ ip: TEST_BED.pbx.strangerHost, port: 41000 });

  beforeAll(async () => {
    gw = await startGateway('internal-legs');
    meta = await startMeta();
    stranger = await startPbx(TEST_BED.pbx.strangerHost);
    pbx = await startPbx();
  });
  afterEach(async () => expectClean(gw));
  afterAll(async () => {
    await meta?.close();
    stranger?.close();
    pbx?.close();
    await gw?.app.stop();
  });

  const legIdLines = (callId: string) => logEntries(gw.logFile).filter((e) => e.code === 'LEG_ID_NOT_FROM_MEDIA_SERVER' && e.callId === callId);

  it('from a stranger: ordinary admission answers 403 (not 481), logged; nothing reaches Meta or FreeSWITCH', async () => {
    expect(gw.app.media.isMediaServerAddress(TEST_BED.freeswitch.host)).toBe(true);
    expect(gw.app.media.isMediaServerAddress(TEST_BED.pbx.strangerHost)).toBe(false);
    const before = meta.requests('INVITE').length;
    const inv = stranger.buildInvite('+12195550714', sdp, [['X-WA-Leg-Id', '7c1e5a52-8d4b-4f0e-9d2a-5f7f3c2b1a00']]);
    const resp = await stranger.request(inv);
    expect(resp.status).toBe(403);
    expect(legIdLines(header(inv, 'Call-ID')!)).toHaveLength(1);
    expect(logEntries(gw.logFile).some((e) => e.code === 'SOURCE_NOT_ALLOWED' && e.callId === header(inv, 'Call-ID'))).toBe(true);
    expect(meta.requests('INVITE')).toHaveLength(before);
    expect(await fsChannels()).toBe(0);
  });

  it('from a configured PBX: the header is ignored and the call is admitted as the PBX\'s', async () => {
    const inv = pbx.buildInvite('+12195550714', pbxSdp({ ip: TEST_BED.pbx.host, port: 41002 }), [['X-WA-Leg-Id', 'not-a-leg-we-asked-for']]);
    pbx.send(inv);
    const atMeta = await meta.nextInvite();
    expect(atMeta.msg.uri).toBe('sip:+12195550714@wa.meta.vc;transport=tls');
    expect(legIdLines(header(inv, 'Call-ID')!)).toHaveLength(1);
    meta.reject(atMeta, 486, 'Busy Here');
    const final = await pbx.waitResponse(header(inv, 'Call-ID')!, 101, (s) => s >= 200);
    expect(final.msg.status).toBe(486);
  });
});
