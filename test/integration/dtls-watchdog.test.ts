import { describe, expect, it } from 'vitest';
import { findRtpengine } from '../support/rtpengine';
import { header } from '../support/sip/message';
import { dtlsInbound, useDtlsBed } from './dtls-flows';
import { BUSINESS, cdrLines, gatewayYaml, testBed, until } from './harness';

/**
 * Issue 11: the no-media watchdog (SPEC M11) still ends a DTLS call whose Meta side goes
 * silent. FreeSWITCH's watchdog watches its leg, which rtpengine feeds with Meta's media.
 */
const rtpengineBin = findRtpengine();
if (testBed && !rtpengineBin) process.stdout.write('SKIPPED: DTLS watchdog integration test (issue 11): rtpengine not found (apt-get install rtpengine-daemon, or RTPENGINE_BIN)\n');

const TIMEOUT_S = 2;

describe.skipIf(!testBed || !rtpengineBin)('the media watchdog on a DTLS call (issue 11)', () => {
  const { bed, peers } = useDtlsBed('dtls-watchdog', gatewayYaml(`rtpengine:\n  address: 127.0.0.1:22322\nmedia:\n  meta_rtp_timeout_seconds: ${TIMEOUT_S}\n`), rtpengineBin!);

  it('Meta stops sending: both legs end after meta_rtp_timeout_seconds with cause meta-media-timeout', async () => {
    const c = await dtlsInbound(bed, peers, BUSINESS);
    await c.peer.connected(5000);
    c.peer.rtp.startTone(600);
    // audio flows for a while longer than the timeout: nothing ends
    await new Promise((r) => setTimeout(r, (TIMEOUT_S + 1) * 1000));
    expect(bed.gw.app.registry.size).toBe(1);
    const silentAt = Date.now();
    c.peer.rtp.stop();
    await Promise.all([
      bed.pbx.waitRequest('BYE', header(c.inv.msg, 'Call-ID')!, (TIMEOUT_S + 5) * 1000),
      bed.meta.waitRequest('BYE', c.attempt.callId, (TIMEOUT_S + 5) * 1000),
    ]);
    expect(Date.now() - silentAt).toBeGreaterThanOrEqual(TIMEOUT_S * 1000 - 200);
    await until(() => cdrLines(bed.gw).some((r) => r.meta_call_id === c.attempt.callId), 10_000, 'CDR');
    expect(cdrLines(bed.gw).find((r) => r.meta_call_id === c.attempt.callId)).toMatchObject({ ended_by: 'gateway', cause: 'meta-media-timeout' });
  });
});
