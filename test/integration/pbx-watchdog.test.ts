import { describe, expect, it } from 'vitest';
import { header } from '../support/sip/message';
import { establishInbound } from './flows';
import { cdrFor, gatewayYaml, testBed, useCallBed } from './harness';

/** Issue 4, acceptance 3 (PBX side): with pbx_rtp_timeout_seconds set, a PBX that stops sending ends the call. */
const WATCHDOG_S = 4;

describe.skipIf(!testBed)('PBX media watchdog', () => {
  const bed = useCallBed('pbx-watchdog', gatewayYaml(`media:\n  pbx_rtp_timeout_seconds: ${WATCHDOG_S}\n`));
  const { rtp } = bed;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


  it('ends both legs when the PBX stops sending media', async () => {
    const c = await establishInbound(bed.meta, bed.pbx, rtp);
    c.metaRtp.startSilence();
    c.pbxRtp.startSilence();
    await sleep(1000);
    c.pbxRtp.stop();
    await bed.meta.waitRequest('BYE', c.attempt.callId, (WATCHDOG_S + 4) * 1000);
    await bed.pbx.waitRequest('BYE', header(c.inv.msg, 'Call-ID')!, 5000);
    const cdr = await cdrFor(bed.gw, c.attempt.callId);
    expect(cdr).toMatchObject({ ended_by: 'gateway', cause: 'pbx-media-timeout' });
  }, 30_000);

});
