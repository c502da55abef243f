import { describe, expect, it } from 'vitest';
import { RtpPeer } from '../support/media/rtp-peer';
import { pbxSdp } from '../support/sdp';
import { header } from '../support/sip/message';
import { TEST_BED } from '../support/servers';
import { cdrLines, gatewayYaml, testBed, until, useCallBed } from './harness';

/**
 * Issue 10: Meta's certificate is verified at the address the INVITE is sent to. Here that
 * address presents a certificate for wa.meta.vc while the gateway expects another name: the
 * agent's call is refused with 503, the CDR says why, and no SIP reaches the Meta emulator.
 */
describe.skipIf(!testBed)("business-initiated call refused when Meta's certificate fails the check", () => {
  const bed = useCallBed('meta-tls-pin', gatewayYaml().replace('  outbound_tls_ca_file:', '  outbound_tls_servername: not-meta.example.com\n  outbound_tls_ca_file:'));

  it('503 to the PBX, cause meta-tls-failed, nothing sent to Meta', async () => {
    const pbxRtp = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
    bed.rtp.push(pbxRtp);
    const invite = bed.pbx.buildInvite('907700900301', pbxSdp({ ip: TEST_BED.pbx.host, port: pbxRtp.port }));
    bed.pbx.send(invite);
    const callId = header(invite, 'Call-ID')!;
    const final = await bed.pbx.waitResponse(callId, Number(header(invite, 'CSeq')!.split(' ')[0]), (s) => s >= 200);
    expect(final.msg.status).toBe(503);
    await until(() => cdrLines(bed.gw).some((c) => c.pbx_call_id === callId), 5000, 'the CDR');
    expect(cdrLines(bed.gw).find((c) => c.pbx_call_id === callId)).toMatchObject({ cause: 'meta-tls-failed', sip_status: 503 });
    expect(bed.meta.requests('INVITE')).toHaveLength(0);
  });
});
