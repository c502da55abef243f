import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newSdesKey } from '../support/media/srtp-keys';
import { metaOffer } from '../support/sdp';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { TEST_BED } from '../support/servers';
import { metaInviteWithAuth } from './flows';
import { expectClean, gatewayYaml, startGateway, startMeta, startPbx, testBed, type Gateway } from './harness';

/**
 * pbxs[].dtmf_payload_type against real FreeSWITCH 1.10.12: its offer to the PBX carries
 * telephone-event on the sofia profile's payload type (101, docker/freeswitch/freeswitch.xml)
 * whatever the PBX's entry says, since FreeSWITCH has no per-call setting for it
 * (src/media/telephone-event.ts). A PBX configured for 96 gets that said in the log, not silently.
 */
describe.skipIf(!testBed)('dtmf_payload_type and FreeSWITCH\'s offer to the PBX', () => {
  let gw: Gateway;
  let meta: MetaPeer;
  let pbx: PbxPeer;

  beforeAll(async () => {
    gw = await startGateway('pbx-dtmf-payload', gatewayYaml().replace('    ring_timeout_seconds: 4\n', '    ring_timeout_seconds: 4\n    dtmf_payload_type: 96\n'));
    meta = await startMeta();
    await meta.connect();
    pbx = await startPbx();
  });
  afterEach(() => expectClean(gw));
  afterAll(async () => {
    await meta?.close();
    pbx?.close();
    await gw?.app.stop();
  });

  it('the offer keeps the profile\'s 101 and the gateway warns that 96 is not applied', async () => {
    expect(gw.cfg.pbxs[0]!.dtmf_payload_type).toBe(96);
    const attempt = await metaInviteWithAuth(meta, metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() }));
    const inv = await pbx.nextInvite();
    expect(inv.msg.body).toMatch(/^a=rtpmap:101 telephone-event\/8000/m);
    pbx.reject(inv, 486, 'Busy Here');
    expect((await meta.waitResponse(attempt.callId, attempt.cseq, (s) => s >= 200)).msg.status).toBe(486);
    const warnings = readFileSync(gw.logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; dtmf_payload_type?: number; offered?: number })
      .filter((l) => l.level === 40 && l.dtmf_payload_type === 96);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ offered: 101 });
    expect(warnings[0]!.msg).toMatch(/not the configured dtmf_payload_type 96/);
  });
});
