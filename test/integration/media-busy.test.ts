import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelCount } from '../support/esl';
import { logEntries } from '../support/gateway-log';
import { newSdesKey } from '../support/media/srtp-keys';
import { metaOffer, pbxSdp } from '../support/sdp';
import { randomToken } from '../support/sip/message';
import type { MetaPeer } from '../support/sip/meta-peer';
import { SipPeer } from '../support/sip/peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { findServers, SPARE_BED, startFreeswitch, TEST_BED, type Running } from '../support/servers';
import { metaInviteWithAuth } from './flows';
import { gatewayYaml, startGateway, startMeta, startPbx, testBed, until, type Gateway } from './harness';

/**
 * Issue 12 (T2 past capacity): a FreeSWITCH that falls behind does not take every call down
 * with it. With `max_setups: 2`, one call whose two legs FreeSWITCH has not made yet (here it
 * is stopped, SIGSTOP) fills the server; the next call gets 503 Media Server Busy at once and
 * reaches neither FreeSWITCH nor the PBX. Resumed, the first call connects and ends cleanly.
 */
const fsBed = SPARE_BED.freeswitch;
const channels = () => channelCount(fsBed.host, fsBed.eslPort, fsBed.password);

describe.skipIf(!testBed)('a media server setting up as many legs as it may', () => {
  let fs: Running;
  let gw: Gateway;
  let meta: MetaPeer;
  let pbx: PbxPeer;

  beforeAll(async () => {
    fs = await startFreeswitch(findServers().freeswitch!, fsBed, 'freeswitch-busy');
    const yaml = gatewayYaml('', { drachtio: TEST_BED.drachtio, freeswitch: fsBed })
      .replace('    secret_env: TEST_FS_SECRET\n', '    secret_env: TEST_FS_SECRET\n    max_setups: 2\n');
    gw = await startGateway('media-busy', yaml);
    meta = await startMeta();
    await meta.connect();
    pbx = await startPbx();
  });
  afterAll(async () => {
    fs?.proc.kill('SIGCONT');
    await meta?.close();
    pbx?.close();
    await gw?.app.stop();
    await fs?.stop();
  });

  it('the next call gets 503 Media Server Busy at once, and nothing of it reaches FreeSWITCH or the PBX; the first connects once FreeSWITCH is back', async () => {
    const offer = () => metaOffer({ ip: TEST_BED.meta.host, port: 40020, keyB64: newSdesKey() });
    fs.proc.kill('SIGSTOP');
    let first;
    try {
      first = await metaInviteWithAuth(meta, offer());
      // admitted: its two legs are asked of FreeSWITCH in the same turn of the event loop
      await until(() => logEntries(gw.logFile).some((l) => l.msg === 'Meta call admitted' && l.callId === first!.callId), 5000, 'the first call admitted');
      const second = await metaInviteWithAuth(meta, offer());
      const refused = await meta.waitResponse(second.callId, second.cseq, (s) => s >= 200, 3000);
      expect(`${refused.msg.status} ${refused.msg.reason}`).toBe('503 Media Server Busy');
      meta.ackNon2xx(second.invite, refused.msg);
      const line = logEntries(gw.logFile).find((l) => l.msg === 'INVITE refused' && l.code === 'MEDIA_BUSY');
      expect(line).toMatchObject({ status: 503 });
    } finally {
      fs.proc.kill('SIGCONT');
    }
    // FreeSWITCH back: the first call's legs are made, the PBX is called and answers
    const inv = await pbx.nextInvite();
    pbx.answer(inv, pbxSdp({ ip: TEST_BED.pbx.host, port: 40022 }), randomToken('p'));
    const ok = await meta.waitResponse(first.callId, first.cseq, (s) => s >= 200);
    expect(ok.msg.status).toBe(200);
    const dialog = SipPeer.uacDialog(first.invite, ok.msg);
    dialog.routes = [];
    meta.ack2xx(dialog, first.cseq);
    // one call reached the PBX, and FreeSWITCH held the first call's two legs only
    expect(pbx.requests('INVITE')).toHaveLength(1);
    await until(async () => (await channels()) === 2, 5000, 'the first call\'s two channels');
    const bye = await meta.request(meta.inDialog(dialog, 'BYE'));
    expect(bye.status).toBe(200);
    await until(async () => gw.app.registry.size === 0 && (await channels()) === 0, 8000, 'no call and no channel left');
  });
});
