import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dominantTone } from '../support/media/tone';
import { PbxPeer } from '../support/sip/pbx-peer';
import { header } from '../support/sip/message';
import { TEST_BED } from '../support/servers';
import { establishInbound } from './flows';
import { gatewayYaml, testBed, useCallBed } from './harness';

/** A PBX reached over SIP/TCP (`pbxs[].transport: tcp`): the call, its audio and both BYEs. */
describe.skipIf(!testBed)('a PBX over TCP', () => {
  const bed = useCallBed('pbx-tcp', gatewayYaml().replace('    transport: udp\n', '    transport: tcp\n'));
  let pbx: PbxPeer;
  beforeAll(async () => {
    const d = TEST_BED.drachtio;
    pbx = await PbxPeer.start(TEST_BED.pbx.host, TEST_BED.pbx.port, { host: d.sipHost, port: d.udpPort }, 'tcp');
  });
  afterAll(() => pbx?.close());

  it('rings the extension over TCP, carries audio both ways, and a BYE from the PBX reaches Meta', async () => {
    const c = await establishInbound(bed.meta, pbx, bed.rtp);
    expect(header(c.inv.msg, 'Via')).toMatch(/^SIP\/2\.0\/TCP /);
    expect(c.inv.msg.uri).toMatch(/;transport=tcp/);
    c.pbxRtp.startTone(1000);
    c.metaRtp.startTone(600);
    await new Promise((r) => setTimeout(r, 1500));
    const toMeta = c.metaRtp.receivedPcm();
    const toPbx = c.pbxRtp.receivedPcm();
    expect(dominantTone(toPbx.subarray(Math.floor(toPbx.length / 3)), 8000, [600, 1000])).toMatchObject({ freq: 600 });
    expect(dominantTone(toMeta.subarray(Math.floor(toMeta.length / 3)), c.metaRtp.sampleRate, [600, 1000])).toMatchObject({ freq: 1000 });
    // the PBX hangs up over the connection the gateway opened
    expect((await pbx.request(pbx.inDialog(c.pbxDialog, 'BYE'))).status).toBe(200);
    await bed.meta.waitRequest('BYE', c.attempt.callId);
    expect(bed.pbx.requests('INVITE')).toHaveLength(0); // nothing went to the UDP PBX
  });
});
