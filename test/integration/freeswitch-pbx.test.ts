import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reportText, type TestCallReport } from '../../src/testcall/report';
import { channelCount } from '../support/esl';
import { findBaresip, PBX_BED, startBaresip, startFreeswitchPbx, type Process } from '../support/pbx-servers';
import { findServers, ROOT, TEST_BED } from '../support/servers';
import { BUSINESS, BUSINESS_PASSWORD, expectClean, startGateway, testBed, until, type Gateway } from './harness';

/**
 * Issue 14, acceptance 1 and 3 on the FreeSWITCH recipe: a FreeSWITCH acting as the PBX with
 * the recipe's own docs/pbx/freeswitch/freeswitch.xml (the trunk profile with its ACL, G.711,
 * RFC 2833 on 101, the DID route and the echo test), a baresip softphone registered to it as
 * 1001 that answers and echoes, and `wa-sip-gateway test-call` (the real entry) into the
 * gateway on the real servers. Skipped, saying so, when baresip is not installed.
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
numbers:
  - { number: "${BUSINESS}", sip_password_env: TEST_META_PASSWORD, pbx: fspbx, destination: "1001" }
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
`;
}

interface Run { code: number | null; report: TestCallReport }

function testCall(number: string): Promise<Run> {
  const argv = ['--require', 'tsx/cjs', join(ROOT, 'src/cli.ts'), 'test-call', '--gateway', `${TEST_BED.drachtio.sipHost}:${TEST_BED.drachtio.tlsPort}`,
    '--servername', TEST_BED.gatewayHostname, '--ca', join(testBed!.certs.dir, 'ca.crt'), '--local-address', TEST_BED.meta.host,
    '--password-env', 'WA_TEST_PASSWORD', '--number', number, '--seconds', '6', '--json'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', WA_TEST_PASSWORD: BUSINESS_PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => void (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => void (err += d));
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        resolve({ code, report: JSON.parse(out) as TestCallReport });
      } catch {
        reject(new Error(`no JSON report (exit ${code}):\n${out}\n${err}`));
      }
    });
  });
}

const pbxChannels = () => channelCount('127.0.0.1', PBX_BED.eslPort, PBX_BED.eslPassword);

describe.skipIf(!testBed || !baresip || !fsBin)('the FreeSWITCH recipe as the PBX, with a registered baresip', () => {
  let gw: Gateway;
  let pbx: Process | undefined;
  let phone: Process | undefined;

  beforeAll(async () => {
    pbx = await startFreeswitchPbx(fsBin!);
    phone = await startBaresip(baresip!);
    gw = await startGateway('freeswitch-pbx', yaml());
  });
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
    const run = await testCall(BUSINESS);
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

  it("the recipe's echo test (9196) answers in the PBX itself: tone both ways, exit 0", async () => {
    const run = await testCall(ECHO_NUMBER);
    console.log(reportText(run.report));
    expect(run.report.final?.status).toBe(200);
    expect(run.report.heard?.ownTone).not.toBeNull();
    expect(run.code).toBe(0);
  });
});
