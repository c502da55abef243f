import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { DtlsMediaPeer } from '../support/media/dtls-peer';
import { RtpPeer } from '../support/media/rtp-peer';
import { mediaTarget, pbxSdp } from '../support/sdp';
import { randomToken } from '../support/sip/message';
import { SipPeer } from '../support/sip/peer';
import { RtpengineServer } from '../support/rtpengine';
import { TEST_BED } from '../support/servers';
import { metaInviteWithAuth } from './flows';
import { until, useCallBed, type CallBed } from './harness';

/**
 * The bed of a DTLS test file, inside its describe: rtpengine started for the file, the call
 * bed (useCallBed), and after each test its calls ended, the Meta DTLS peers closed and 0
 * rtpengine sessions left (issue 11, acceptance 4). That after-each hook is registered before
 * useCallBed's: after hooks run last-registered first, so it runs once the call bed is clean
 * (0 calls, 0 FreeSWITCH channels); ending the calls first keeps a failed test's call from
 * failing the next ones.
 */
export function useDtlsBed(name: string, yaml: string, rtpengineBin: string): { bed: CallBed; peers: DtlsMediaPeer[]; rtpe: () => RtpengineServer } {
  let rtpe: RtpengineServer | undefined;
  beforeAll(async () => {
    rtpe = await RtpengineServer.start(rtpengineBin);
  });
  const peers: DtlsMediaPeer[] = [];
  afterEach(async () => {
    await Promise.all(bed.gw.app.registry.all().map((c) => c.end('gateway', 'test-cleanup')));
    for (const p of peers.splice(0)) await p.close();
    await until(async () => (await rtpe!.sessions()).length === 0, 5000, 'zero rtpengine sessions');
  });
  const bed = useCallBed(name, yaml);
  afterAll(async () => {
    await rtpe?.stop();
  });
  return { bed, peers, rtpe: () => rtpe! };
}

/**
 * A WhatsApp user's call in Meta's DTLS mode (issue 11), up to Meta's ACK: the Meta DTLS
 * peer's offer to `business`, the PBX answers PCMU and starts a 1 kHz tone. The peer goes in
 * `peers`, to be closed after the test.
 */
export async function dtlsInbound(bed: CallBed, peers: DtlsMediaPeer[], business: string) {
  const peer = await DtlsMediaPeer.open({ host: TEST_BED.meta.host, payloadType: 111, dtmfPayloadType: 126 });
  peers.push(peer);
  const attempt = await metaInviteWithAuth(bed.meta, peer.offer(), { business });
  const inv = await bed.pbx.nextInvite();
  const pbxRtp = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
  bed.rtp.push(pbxRtp);
  const fs = mediaTarget(inv.msg.body);
  pbxRtp.setRemote(fs.ip, fs.port);
  const toTag = randomToken('p');
  bed.pbx.ringAt(inv, toTag);
  const pbxDialog = bed.pbx.answer(inv, pbxSdp({ ip: TEST_BED.pbx.host, port: pbxRtp.port }), toTag);
  pbxRtp.startTone(1000);
  const okRecv = await bed.meta.waitResponse(attempt.callId, attempt.cseq, (s) => s >= 200);
  expect(okRecv.msg.status).toBe(200);
  const metaDialog = SipPeer.uacDialog(attempt.invite, okRecv.msg);
  metaDialog.routes = [];
  bed.meta.ack2xx(metaDialog, attempt.cseq);
  const remote = peer.acceptAnswer(okRecv.msg.body);
  return { peer, attempt, inv, pbxRtp, pbxDialog, metaDialog, ok: okRecv.msg, okAt: okRecv.at, remote };
}
