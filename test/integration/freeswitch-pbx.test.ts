import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reportText } from '../../src/testcall/report';
import { channelCount } from '../support/esl';
import { baresipCommand, findBaresip, PBX_BED, startBaresip, startFreeswitchPbx, type Process } from '../support/pbx-servers';
import { findServers, TEST_BED } from '../support/servers';
import { BUSINESS, expectClean, startGateway, testBed, until, type Gateway } from './harness';
import { outboundCommand, testCall } from './test-call-run';

/**
 * Issue 14, acceptance 1 and 3 (and the signalling of 2) on the FreeSWITCH recipe: a FreeSWITCH acting as the PBX with
 * the recipe's own docs/pbx/freeswitch/freeswitch.xml (the trunk profile with its ACL, G.711,
 * RFC 2833 on 101, the DID route and the echo test), a baresip softphone registered to it as
 * 1001 that answers and echoes, and `wa-sip-gateway test-call` (the real entry) into the
 * gateway on the real servers; and the other way (acceptance 2), the phone dialling out through the recipe's
 * "9" route to `test-call --outbound` standing in for wa.meta.vc, echoing that call too. Skipped, saying so, when baresip is not installed.
 */
const baresip = findBaresip();
const fsBin = findServers().freeswitch;
const ECHO_NUMBER = '+12145551870';

if (testBed && !baresip) process.stdout.write('SKIPPED: freeswitch-pbx.test.ts: baresip not found (BARESIP_BIN, PATH or /usr/bin; Debian: apt-get install baresip-core)\n');

function yaml(): string {
  const t = TEST_BED;
  return `
log: { level: debug }
http: { port: 0 }
drachtio: { host: ${t.drachtio.adminHost}, port: ${t.drachtio.adminPort}, secret_env: TEST_DRACHTIO_SECRET }
freeswitch:
  - { host: ${t.freeswitch.host}, port: ${t.freeswitch.eslPort}, secret_env: TEST_FS_SECRET }
meta:
  hostname: ${t.gatewayHostname}
  source_ranges: [${t.meta.host}/32]
  # business-initiated calls go to test-call --outbound, standing in for wa.meta.vc
  outbound_host: ${t.meta.host}
  outbound_port: ${t.meta.listenPort}
  outbound_tls_ca_file: ${join(testBed?.certs.dir ?? '', 'ca.crt')}
numbers:
  # a +1 number: agent calls from it would be refused (Meta offers none from the USA or Canada) unless allowed
  - { number: "${BUSINESS}", sip_password_env: TEST_META_PASSWORD, pbx: fspbx, destination: "1001", country_rule: allow }
  - { number: "${ECHO_NUMBER}", sip_password_env: TEST_META_PASSWORD, pbx: fspbx, destination: "9196" }
pbxs:
  - name: fspbx
    host: ${PBX_BED.ip}
    port: ${PBX_BED.trunkPort}
    transport: udp
    codecs: [PCMU, PCMA]
    dtmf_payload_type: 101
    ring_timeout_seconds: 20
    trust_udp_source: true
    business_number: "${BUSINESS}"
    dialing: { national_prefix: "0", country_code: "44" }
`;
}

/** test-call into the gateway, for one number, 6 s */
const callNumber = (number: string) => testCall(['--number', number, '--seconds', '6']);

const pbxChannels = () => channelCount('127.0.0.1', PBX_BED.eslPort, PBX_BED.eslPassword);

describe.skipIf(!testBed || !baresip || !fsBin)('the FreeSWITCH recipe as the PBX, with a registered baresip', () => {
  let gw: Gateway;
  let pbx: Process | undefined;
  let phone: Process | undefined;

  beforeAll(async () => {
    pbx = await startFreeswitchPbx(fsBin!);
    phone = await startBaresip(baresip!);
    gw = await startGateway('freeswitch-pbx', yaml());
  }, 90_000);
  afterEach(async () => {
    await expectClean(gw);
    await until(async () => (await pbxChannels()) === 0, 8000, 'zero channels on the FreeSWITCH PBX');
  });
  afterAll(async () => {
    await gw?.app.stop();
    await phone?.stop();
    await pbx?.stop();
  });

  it('a WhatsApp call to the DID rings the softphone, which answers: tone both ways, exit 0', async () => {
    const run = await callNumber(BUSINESS);
    console.log(reportText(run.report));
    const r = run.report;
    expect(r.final?.status).toBe(200);
    expect(r.to180Ms).not.toBeNull();
    expect(r.media).toMatchObject({ srtpAuthFailures: 0 });
    expect(r.heard?.ownTone).not.toBeNull();
    // the digits went through both FreeSWITCHes to the phone, whose echo sent them back
    expect(r.dtmf?.cameBack).toBe('1234');
    expect(r.bothWays).toBe(true);
    expect(run.code).toBe(0);
  });

  // Acceptance 2: tone both ways on a call dialled from the softphone. The phone's aubridge loop
  // (audio_player = audio_source = aubridge "echo") sends back what it hears on the call it dialled,
  // so test-call's 600 Hz tone comes back only if it reached the phone through the gateway and both
  // FreeSWITCHes and the phone's audio made it all the way back to "Meta". (Without
  // ringback_disabled the phone sent silence: -72 dBFS at test-call, see startBaresip.) The echo
  // module relays digits only on calls it answered, so no DTMF comes back on this one.
  it('the softphone dials 9 + a national number: the recipe\'s outbound route reaches test-call --outbound as Meta, challenged and answered, tone both ways, exit 0', async () => {
    const { done } = await outboundCommand(['--seconds', '4', '--wait', '20', '--cdr', gw.cdrFile]);
    expect(await baresipCommand('dial', `sip:907700900123@${PBX_BED.domain}`)).toMatchObject({ ok: true });
    const run = await done;
    const r = run.report;
    console.log(reportText(r));
    // the PBX took the 9 off and sent 07700 900123; the gateway made it E.164 with country_code 44
    expect(r.outbound).toMatchObject({ requestUri: 'sip:+447700900123@wa.meta.vc;transport=tls', checks: [] });
    expect(r).toMatchObject({ number: BUSINESS, from: '+447700900123', challenge: { status: 407 }, final: { status: 200 } });
    expect(r.media).toMatchObject({ srtpAuthFailures: 0 });
    expect(r.media!.packetsReceived).toBeGreaterThan(100);
    expect(r.cdr).toMatchObject({ direction: 'business-initiated', pbx: 'fspbx', sip_status: 200 });
    expect(r.heard?.ownTone).not.toBeNull();
    expect(r.bothWays).toBe(true);
    expect(run.code).toBe(0);
  });

  it("the recipe's echo test (9196) answers in the PBX itself: tone both ways, exit 0", async () => {
    const run = await callNumber(ECHO_NUMBER);
    console.log(reportText(run.report));
    expect(run.report.final?.status).toBe(200);
    expect(run.report.heard?.ownTone).not.toBeNull();
    expect(run.code).toBe(0);
  });
});
