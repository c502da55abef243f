import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pbxSdp } from '../support/sdp';
import { header } from '../support/sip/message';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { TEST_BED } from '../support/servers';
import { expectClean, fsChannels, PBX_INBOUND_PASSWORD, startGateway, startMeta, startPbx, testBed, type Gateway } from './harness';

/**
 * Issue 3, acceptance 4: only configured PBXs reach Meta; the dialed number is normalized
 * as configured or refused with 484, and the Meta emulator sees nothing of a refusal.
 */
describe.skipIf(!testBed)('business-initiated call: PBX admission and numbers', () => {
  let gw: Gateway;
  let meta: MetaPeer;
  let pbx: PbxPeer;
  let stranger: PbxPeer;
  let locked: PbxPeer;
  const sdp = pbxSdp({ ip: TEST_BED.pbx.host, port: 41000 });

  beforeAll(async () => {
    gw = await startGateway('outbound-admission');
    meta = await startMeta();
    pbx = await startPbx();
    stranger = await startPbx(TEST_BED.pbx.strangerHost);
    locked = await startPbx(TEST_BED.pbx.lockedHost);
  });
  afterEach(async () => expectClean(gw));
  afterAll(async () => {
    await meta?.close();
    for (const p of [pbx, stranger, locked]) p?.close();
    await gw?.app.stop();
  });

  const metaInvites = () => meta.requests('INVITE').length;

  it('refuses a PBX address that is not allowed with 403, and Meta sees nothing', async () => {
    const before = metaInvites();
    const resp = await stranger.request(stranger.buildInvite('+12195550714', sdp));
    expect(resp.status).toBe(403);
    expect(metaInvites()).toBe(before);
    expect(await fsChannels()).toBe(0);
  });

  it('challenges a PBX that has credentials: none → 407, wrong → 403, right → the call goes to Meta', async () => {
    const before = metaInvites();
    const first = locked.buildInvite('+12195550714', sdp);
    const challenge = await locked.request(first);
    expect(challenge.status).toBe(407);
    locked.ackNon2xx(first, challenge);
    const wrong = locked.withCredentials(first, challenge, 'pbx-trunk', 'not-it', first.uri!);
    const refused = await locked.request(wrong);
    expect(refused.status).toBe(403);
    locked.ackNon2xx(wrong, refused);
    expect(metaInvites()).toBe(before);

    const again = locked.buildInvite('+12195550714', sdp);
    const ch2 = await locked.request(again);
    locked.ackNon2xx(again, ch2);
    const good = locked.withCredentials(again, ch2, 'pbx-trunk', PBX_INBOUND_PASSWORD, again.uri!);
    locked.send(good);
    const atMeta = await meta.nextInvite();
    expect(atMeta.msg.uri).toBe('sip:+12195550714@wa.meta.vc;transport=tls');
    meta.reject(atMeta, 486, 'Busy Here');
    const final = await locked.waitResponse(header(good, 'Call-ID')!, Number(header(good, 'CSeq')!.split(' ')[0]), (s) => s >= 200);
    expect(final.msg.status).toBe(486);
  });

  for (const [dialed, e164] of [['907700900123', '+447700900123'], ['900441632960001', '+441632960001'], ['+12195550714', '+12195550714'], ['%2B12195550714', '+12195550714']] as const) {
    it(`normalizes ${dialed} to ${e164}`, async () => {
      const inv = pbx.buildInvite(dialed, sdp);
      pbx.send(inv);
      const atMeta = await meta.nextInvite();
      expect(atMeta.msg.uri).toBe(`sip:${e164}@wa.meta.vc;transport=tls`);
      meta.reject(atMeta, 480, 'Temporarily Unavailable');
      await pbx.waitResponse(header(inv, 'Call-ID')!, 101, (s) => s >= 200);
    });
  }

  for (const garbage of ['hello', '912', '9', '+123']) {
    it(`answers 484 to ${JSON.stringify(garbage)} without touching Meta`, async () => {
      const before = metaInvites();
      const resp = await pbx.request(pbx.buildInvite(garbage, sdp));
      expect(resp.status).toBe(484);
      expect(metaInvites()).toBe(before);
    });
  }
});
