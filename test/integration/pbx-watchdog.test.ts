import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RtpPeer } from '../support/media/rtp-peer';
import { header } from '../support/sip/message';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { establishInbound } from './flows';
import { cdrFor, expectClean, gatewayYaml, startGateway, startMeta, startPbx, testBed, type Gateway } from './harness';

/** Issue 4, acceptance 3 (PBX side): with pbx_rtp_timeout_seconds set, a PBX that stops sending ends the call. */
const WATCHDOG_S = 4;

describe.skipIf(!testBed)('PBX media watchdog', () => {
  let gw: Gateway;
  let meta: MetaPeer;
  let pbx: PbxPeer;
  const rtp: RtpPeer[] = [];
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    gw = await startGateway('pbx-watchdog', gatewayYaml(`media:\n  pbx_rtp_timeout_seconds: ${WATCHDOG_S}\n`));
    meta = await startMeta();
    await meta.connect();
    pbx = await startPbx();
  });
  afterEach(async () => {
    for (const r of rtp.splice(0)) await r.close();
    await expectClean(gw);
  });
  afterAll(async () => {
    await meta?.close();
    pbx?.close();
    await gw?.app.stop();
  });

  it('ends both legs when the PBX stops sending media', async () => {
    const c = await establishInbound(meta, pbx, rtp);
    c.metaRtp.startSilence();
    c.pbxRtp.startSilence();
    await sleep(1000);
    c.pbxRtp.stop();
    await meta.waitRequest('BYE', c.attempt.callId, (WATCHDOG_S + 4) * 1000);
    await pbx.waitRequest('BYE', header(c.inv.msg, 'Call-ID')!, 5000);
    const cdr = await cdrFor(gw, c.attempt.callId);
    expect(cdr).toMatchObject({ ended_by: 'gateway', cause: 'pbx-media-timeout' });
  }, 30_000);

});
