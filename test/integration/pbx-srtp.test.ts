import { describe, expect, it } from 'vitest';
import { dominantTone } from '../support/media/tone';
import { parseCrypto } from '../support/media/srtp-keys';
import { header } from '../support/sip/message';
import { establishInbound } from './flows';
import { gatewayYaml, testBed, useCallBed } from './harness';

/**
 * SRTP toward the PBX (`pbxs[].srtp: true`, SPEC P-side media): FreeSWITCH offers SDES-SRTP
 * to the PBX, and audio is decrypted and decoded on both sides.
 */
describe.skipIf(!testBed)('a PBX with SRTP', () => {
  const bed = useCallBed('pbx-srtp', gatewayYaml().replace('    codecs: [PCMU]\n', '    codecs: [PCMU]\n    srtp: true\n'));

  it('gets an SDES-SRTP offer, and audio flows both ways encrypted', async () => {
    const c = await establishInbound(bed.meta, bed.pbx, bed.rtp);
    expect(c.inv.msg.body).toMatch(/^m=audio \d+ RTP\/SAVP 0 /m);
    expect(parseCrypto(c.inv.msg.body)?.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    c.pbxRtp.startTone(1000);
    c.metaRtp.startTone(600);
    await new Promise((r) => setTimeout(r, 2000));
    const toMeta = c.metaRtp.receivedPcm();
    const toPbx = c.pbxRtp.receivedPcm();
    expect(c.pbxRtp.authFailures).toBe(0);
    expect(c.pbxRtp.packetsReceived).toBeGreaterThan(50);
    expect(dominantTone(toPbx.subarray(Math.floor(toPbx.length / 3)), 8000, [600, 1000])).toMatchObject({ freq: 600 });
    expect(dominantTone(toMeta.subarray(Math.floor(toMeta.length / 3)), c.metaRtp.sampleRate, [600, 1000])).toMatchObject({ freq: 1000 });
    expect((await bed.meta.request(bed.meta.inDialog(c.metaDialog, 'BYE'))).status).toBe(200);
    await bed.pbx.waitRequest('BYE', header(c.inv.msg, 'Call-ID')!);
  });
});
