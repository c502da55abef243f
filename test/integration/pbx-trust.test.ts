import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { logEntries, WARN } from '../support/gateway-log';
import { pbxSdp } from '../support/sdp';
import { header } from '../support/sip/message';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { TEST_BED } from '../support/servers';
import { BUSINESS, expectClean, fsChannels, gatewayYaml, startGateway, startMeta, startPbx, testBed, type Gateway } from './harness';

/**
 * Issue 10, acceptance 2: a UDP INVITE "from the PBX" (sent from the PBX's own loopback
 * address, as a spoofer would forge it) without credentials is refused unless the YAML
 * trusts that PBX's UDP source explicitly; a PBX may choose only its own business numbers.
 */
const OTHER_NUMBER = '+12145550000';
const withOtherNumber = (yaml: string) => yaml.replace('pbxs:\n',
  `  - number: "${OTHER_NUMBER}"\n    sip_password_env: TEST_META_PASSWORD\n    pbx: main\n    destination: "1002"\npbxs:\n`);
const TRUSTED = withOtherNumber(gatewayYaml());
const DEFAULT = TRUSTED.replace(/ *# the emulator sends UDP.*\n *trust_udp_source: true\n/, '');

const sdp = pbxSdp({ ip: TEST_BED.pbx.host, port: 41000 });
const warnings = (gw: Gateway) => logEntries(gw.logFile).filter((e) => e.level === WARN).map((e) => e.msg);

function useBed(name: string, yaml: string) {
  const bed = {} as { gw: Gateway; meta: MetaPeer; pbx: PbxPeer; locked: PbxPeer };
  beforeAll(async () => {
    bed.gw = await startGateway(name, yaml);
    bed.meta = await startMeta();
    bed.pbx = await startPbx();
    bed.locked = await startPbx(TEST_BED.pbx.lockedHost);
  });
  afterEach(async () => expectClean(bed.gw));
  afterAll(async () => {
    await bed.meta?.close();
    bed.pbx?.close();
    bed.locked?.close();
    await bed.gw?.app.stop();
  });
  return bed;
}

describe.skipIf(!testBed)('PBX trust by default: a UDP source address alone is not enough', () => {
  const bed = useBed('pbx-trust-default', DEFAULT);

  it('the harness config really has no trust key here', () => {
    expect(DEFAULT).not.toContain('trust_udp_source');
    expect(bed.gw.cfg.pbxs.find((p) => p.name === 'main')).toMatchObject({ transport: 'udp', inbound_auth: null, trust_udp_source: false });
  });

  it('says at start that the UDP PBX without inbound_auth will have its calls refused', () => {
    expect(warnings(bed.gw).filter((m) => m.startsWith('PBX main: its UDP INVITEs will be refused with 403'))).toHaveLength(1);
  });

  it('a UDP INVITE from the PBX address without credentials: 403, nothing sent to Meta, no media', async () => {
    const before = bed.meta.requests('INVITE').length;
    const inv = bed.pbx.buildInvite('+12195550714', sdp);
    const resp = await bed.pbx.request(inv);
    expect(resp.status).toBe(403);
    expect(bed.meta.requests('INVITE')).toHaveLength(before);
    expect(await fsChannels()).toBe(0);
    const line = logEntries(bed.gw.logFile).find((e) => e.code === 'UDP_SOURCE_UNTRUSTED' && e.callId === header(inv, 'Call-ID'));
    expect(line?.msg).toBe('INVITE refused');
  });

  it('the same from the address of a PBX with inbound_auth: 407, nothing sent to Meta', async () => {
    const before = bed.meta.requests('INVITE').length;
    const resp = await bed.locked.request(bed.locked.buildInvite('+12195550714', sdp));
    expect(resp.status).toBe(407);
    expect(header(resp, 'Proxy-Authenticate')).toMatch(/^Digest /);
    expect(bed.meta.requests('INVITE')).toHaveLength(before);
  });
});

describe.skipIf(!testBed)('PBX trust with trust_udp_source: true', () => {
  const bed = useBed('pbx-trust-udp', TRUSTED);

  it('warns at start, naming the PBX and its addresses', () => {
    const w = warnings(bed.gw).filter((m) => m.includes('trust_udp_source: true'));
    expect(w).toEqual([expect.stringMatching(new RegExp(`^PBX main: UDP INVITEs from ${TEST_BED.pbx.host.replace(/\./g, '\\.')} are admitted on their source address alone`))]);
  });

  it('admits the UDP INVITE without credentials: it goes to Meta from the business number', async () => {
    const inv = bed.pbx.buildInvite('+12195550714', sdp);
    bed.pbx.send(inv);
    const atMeta = await bed.meta.nextInvite();
    expect(header(atMeta.msg, 'From')).toContain(`<sip:${BUSINESS}@${TEST_BED.gatewayHostname}>`);
    bed.meta.reject(atMeta, 486, 'Busy Here');
    const final = await bed.pbx.waitResponse(header(inv, 'Call-ID')!, 101, (s) => s >= 200);
    expect(final.msg.status).toBe(486);
  });

  it("a business number that is configured but not this PBX's: 403, nothing sent to Meta", async () => {
    const before = bed.meta.requests('INVITE').length;
    const inv = bed.pbx.buildInvite('+12195550714', sdp, [['X-WA-Business-Number', OTHER_NUMBER]]);
    const resp = await bed.pbx.request(inv);
    expect(resp.status).toBe(403);
    expect(bed.meta.requests('INVITE')).toHaveLength(before);
    expect(logEntries(bed.gw.logFile).some((e) => e.code === 'BUSINESS_NUMBER_NOT_ALLOWED' && e.callId === header(inv, 'Call-ID'))).toBe(true);
  });

  it('its own business number in the header is taken', async () => {
    const inv = bed.pbx.buildInvite('+12195550714', sdp, [['X-WA-Business-Number', BUSINESS]]);
    bed.pbx.send(inv);
    const atMeta = await bed.meta.nextInvite();
    expect(header(atMeta.msg, 'From')).toContain(`<sip:${BUSINESS}@`);
    bed.meta.reject(atMeta, 480, 'Temporarily Unavailable');
    await bed.pbx.waitResponse(header(inv, 'Call-ID')!, 101, (s) => s >= 200);
  });
});
