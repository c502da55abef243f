import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mediaTarget, metaOffer, pbxSdp } from '../support/sdp';
import { RtpPeer } from '../support/media/rtp-peer';
import { header } from '../support/sip/message';
import { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { TEST_BED } from '../support/servers';
import { newSdesKey } from '../support/media/srtp-keys';
import { metaInviteWithAuth } from './flows';
import { BUSINESS, cdrFor, expectClean, fsChannels, startGateway, startMeta, startPbx, testBed, WA_USER, type Gateway } from './harness';

/**
 * Issue 2, acceptance 2, 3, 4 and 6: refusals before any media or B-leg exists, CANCEL
 * while the PBX rings, PBX failures mapped for Meta, malformed SDP.
 */
describe.skipIf(!testBed)('inbound call: refusals and failures', () => {
  let gw: Gateway;
  let meta: MetaPeer;
  let pbx: PbxPeer;
  const offer = () => metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() });

  beforeAll(async () => {
    gw = await startGateway('inbound-failures');
    meta = await startMeta();
    await meta.connect();
    pbx = await startPbx();
  });
  afterEach(async () => expectClean(gw));
  afterAll(async () => {
    await meta?.close();
    pbx?.close();
    await gw?.app.stop();
  });

  function pbxInvites(): number {
    return pbx.requests('INVITE').length;
  }

  it('refuses a wrong password with 403: no PBX INVITE, no FreeSWITCH channel', async () => {
    const before = pbxInvites();
    const a = await metaInviteWithAuth(meta, offer(), { password: 'not-the-password' });
    const final = await meta.waitResponse(a.callId, a.cseq, (s) => s >= 200);
    expect(final.msg.status).toBe(403);
    expect(await fsChannels()).toBe(0);
    expect(pbxInvites()).toBe(before);
  });

  it('accepts a nonce once: a replayed authorization gets a fresh challenge and never reaches the PBX', async () => {
    const a = await metaInviteWithAuth(meta, offer());
    const inv = await pbx.nextInvite();
    pbx.reject(inv, 486, 'Busy Here');
    await meta.waitResponse(a.callId, a.cseq, (s) => s >= 200);
    const before = pbxInvites();
    // an eavesdropper replays the authorized INVITE as a new call
    const replay = {
      ...a.invite,
      headers: a.invite.headers.map(([n, v]): [string, string] =>
        n === 'Via' ? [n, `${meta.via()};alias`] : n === 'Call-ID' ? [n, `outgoing:wacid.replay${Date.now()}`] : [n, v]),
    };
    const resp = await meta.request(replay);
    expect(resp.status).toBe(407);
    meta.ackNon2xx(replay, resp);
    expect(pbxInvites()).toBe(before);
  });

  it('refuses an unknown business number with 404 (after no challenge)', async () => {
    const before = pbxInvites();
    const inv = meta.buildInvite({ business: '+19998887777', user: WA_USER, gatewayHost: TEST_BED.gatewayHostname, sdp: offer() });
    const resp = await meta.request(inv);
    expect(resp.status).toBe(404);
    expect(pbxInvites()).toBe(before);
  });

  it('refuses an INVITE from outside the Meta ranges', async () => {
    const stranger = await MetaPeer.start({ ...meta.opts, host: TEST_BED.meta.strangerHost, listenPort: TEST_BED.meta.listenPort + 1 });
    try {
      await stranger.connect(TEST_BED.meta.strangerHost);
      const before = pbxInvites();
      const resp = await stranger.request(stranger.buildInvite({ business: BUSINESS, user: WA_USER, gatewayHost: TEST_BED.gatewayHostname, sdp: offer() }));
      expect(resp.status).toBe(403);
      expect(pbxInvites()).toBe(before);
      expect(await fsChannels()).toBe(0);
    } finally {
      await stranger.close();
    }
  });

  it('answers malformed or DTLS SDP with 488 and leaks no channel', async () => {
    for (const body of ['this is not sdp', offer().replace('RTP/SAVP', 'UDP/TLS/RTP/SAVPF').replace(/a=crypto.*\r\n/, 'a=fingerprint:sha-256 AB:CD\r\n')]) {
      const a = await metaInviteWithAuth(meta, body);
      const final = await meta.waitResponse(a.callId, a.cseq, (s) => s >= 200);
      expect(final.msg.status).toBe(488);
    }
    expect(await fsChannels()).toBe(0);
  });

  it('CANCEL from Meta while the PBX rings: 487 to Meta, CANCEL to the PBX', async () => {
    const a = await metaInviteWithAuth(meta, offer());
    const inv = await pbx.nextInvite();
    pbx.ringAt(inv, 'ringtag1');
    await meta.waitResponse(a.callId, a.cseq, (s) => s === 180);
    meta.cancel(a.invite);
    const final = await meta.waitResponse(a.callId, a.cseq, (s) => s >= 200);
    expect(final.msg.status).toBe(487);
    await pbx.waitRequest('CANCEL', header(inv.msg, 'Call-ID')!);
    const cdr = await cdrFor(gw, a.callId);
    expect(cdr).toMatchObject({ ended_by: 'meta', cause: 'cancel', sip_status: 487 });
  });

  for (const [pbxStatus, reason, metaStatus] of [[486, 'Busy Here', 486], [503, 'Service Unavailable', 503], [404, 'Not Found', 404]] as const) {
    it(`maps PBX ${pbxStatus} to ${metaStatus} for Meta`, async () => {
      const a = await metaInviteWithAuth(meta, offer());
      const inv = await pbx.nextInvite();
      pbx.reject(inv, pbxStatus, reason);
      const final = await meta.waitResponse(a.callId, a.cseq, (s) => s >= 200);
      expect(final.msg.status).toBe(metaStatus);
      const cdr = await cdrFor(gw, a.callId);
      expect(cdr).toMatchObject({ ended_by: 'pbx', cause: `pbx-${pbxStatus}`, sip_status: metaStatus });
    });
  }

  it('gives Meta 480 when the PBX rings past ring_timeout_seconds, and cancels the PBX', async () => {
    const a = await metaInviteWithAuth(meta, offer());
    const inv = await pbx.nextInvite();
    const rangAt = Date.now();
    pbx.ringAt(inv, 'ringtag2');
    const final = await meta.waitResponse(a.callId, a.cseq, (s) => s >= 200, 15_000);
    const waited = Date.now() - rangAt;
    expect(final.msg.status).toBe(480);
    expect(waited).toBeGreaterThan(3500);
    expect(waited).toBeLessThan(6000); // ring_timeout_seconds: 4
    await pbx.waitRequest('CANCEL', header(inv.msg, 'Call-ID')!);
  });

  it('ends the call when Meta never ACKs our 200 OK (64*T1), BYE to both sides', async () => {
    const key = newSdesKey();
    const metaRtp = await RtpPeer.open({ host: TEST_BED.meta.host, codec: 'OPUS', payloadType: 111, srtp: { localKeyB64: key } });
    try {
      const a = await metaInviteWithAuth(meta, metaOffer({ ip: TEST_BED.meta.host, port: metaRtp.port, keyB64: key }));
      const inv = await pbx.nextInvite();
      pbx.answer(inv, pbxSdp({ ip: TEST_BED.pbx.host, port: 41000 }));
      const ok = await meta.waitResponse(a.callId, a.cseq, (s) => s >= 200);
      expect(ok.msg.status).toBe(200);
      // Meta's media flows (so no media watchdog), but its ACK never comes: after 30 s the gateway hangs up
      const fs = mediaTarget(ok.msg.body);
      metaRtp.setRemote(fs.ip, fs.port);
      metaRtp.startSilence();
      await pbx.waitRequest('BYE', header(inv.msg, 'Call-ID')!, 40_000);
      await meta.waitRequest('BYE', a.callId, 5000);
      const cdr = await cdrFor(gw, a.callId);
      expect(cdr).toMatchObject({ ended_by: 'gateway', cause: 'meta-no-ack' });
    } finally {
      await metaRtp.close();
    }
  }, 45_000);
});
