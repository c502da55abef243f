import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { buildApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config/load';
import type { GatewayConfig } from '../../src/config/types';
import { createLogger } from '../../src/util/logger';
import type { CdrRecord } from '../../src/cdr/cdr';
import { channelCount } from '../support/esl';
import { MetaPeer } from '../support/sip/meta-peer';
import { PbxPeer } from '../support/sip/pbx-peer';
import type { RtpPeer } from '../support/media/rtp-peer';
import { RUN_DIR, TEST_BED, type DrachtioBed, type FreeswitchBed } from '../support/servers';
import pino from 'pino';

/**
 * The gateway under test, in this process, against the real servers of the test bed,
 * with a Meta emulator (TLS) and a PBX emulator (UDP) on their own loopback addresses.
 */

export const testBed = inject('testBed');

export const BUSINESS = '+12145551869';
export const BUSINESS_PASSWORD = 'meta-generated-sip-password-1';
export const WA_USER = '+12195550714';
export const PBX_INBOUND_PASSWORD = 'pbx-trunk-secret';

export interface Gateway {
  app: App;
  cfg: GatewayConfig;
  cdrFile: string;
  logFile: string;
}

export function gatewayYaml(overrides = '', bed: { drachtio: DrachtioBed; freeswitch: FreeswitchBed } = TEST_BED): string {
  const t = { ...TEST_BED, ...bed };
  return `
log:
  level: debug
http:
  port: 0
drachtio:
  host: ${t.drachtio.adminHost}
  port: ${t.drachtio.adminPort}
  secret_env: TEST_DRACHTIO_SECRET
freeswitch:
  - host: ${t.freeswitch.host}
    port: ${t.freeswitch.eslPort}
    secret_env: TEST_FS_SECRET
meta:
  hostname: ${t.gatewayHostname}
  source_ranges: [${t.meta.host}/32]
  outbound_host: ${t.meta.host}
  outbound_port: ${t.meta.listenPort}
  outbound_tls_ca_file: ${testBed ? join(testBed.certs.dir, 'ca.crt') : ''}
numbers:
  - number: "${BUSINESS}"
    sip_password_env: TEST_META_PASSWORD
    pbx: main
    destination: "1001"
    # a US number: Meta offers no business-initiated calls for it, but the emulated Meta takes them
    country_rule: allow
pbxs:
  - name: main
    host: ${t.pbx.host}
    port: ${t.pbx.port}
    transport: udp
    codecs: [PCMU]
    ring_timeout_seconds: 4
    business_number: "${BUSINESS}"
    # the emulator sends UDP without credentials; test/integration/pbx-trust.test.ts covers the default
    trust_udp_source: true
    dialing: { strip_prefixes: ["9"], national_prefix: "0", country_code: "44" }
  - name: locked
    host: ${t.pbx.lockedHost}
    port: ${t.pbx.port}
    inbound_auth: { username: pbx-trunk, password_env: TEST_PBX_INBOUND_PASSWORD }
    business_number: "${BUSINESS}"
${overrides}`;
}

export const TEST_ENV = {
  TEST_DRACHTIO_SECRET: TEST_BED.drachtio.secret,
  TEST_FS_SECRET: TEST_BED.freeswitch.password,
  TEST_META_PASSWORD: BUSINESS_PASSWORD,
  TEST_PBX_INBOUND_PASSWORD: PBX_INBOUND_PASSWORD,
};

/** the gateway with `yaml`, started but not yet known to be connected */
export async function launchGateway(name: string, yaml = gatewayYaml()): Promise<Gateway> {
  const dir = join(RUN_DIR, 'gateway');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  const cdrFile = join(dir, `${name}.cdr.jsonl`);
  const logFile = join(RUN_DIR, 'logs', `gateway-${name}.log`);
  mkdirSync(join(RUN_DIR, 'logs'), { recursive: true });
  writeFileSync(logFile, ''); // pino appends: one run per file
  writeFileSync(file, `${yaml}\ncdr:\n  file: ${cdrFile}\n`);
  writeFileSync(cdrFile, '');
  const cfg = loadConfig([file], TEST_ENV);
  const log = createLogger(cfg.log.level, pino.destination({ dest: logFile, sync: true }));
  const app = buildApp(cfg, log);
  await app.start();
  return { app, cfg, cdrFile, logFile };
}

export async function startGateway(name: string, yaml = gatewayYaml()): Promise<Gateway> {
  const gw = await launchGateway(name, yaml);
  await until(() => gw.app.isDrachtioConnected() && gw.app.media.healthyCount() > 0, 10_000, 'gateway connected to drachtio and FreeSWITCH');
  return gw;
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function fsChannels(): Promise<number> {
  const f = TEST_BED.freeswitch;
  return channelCount(f.host, f.eslPort, f.password);
}

/** after every scenario: no FreeSWITCH channel and no gateway call left */
export async function expectClean(gw: Gateway): Promise<void> {
  await until(async () => gw.app.registry.size === 0 && (await fsChannels()) === 0, 8000,
    `zero calls (have ${gw.app.registry.size}) and zero FreeSWITCH channels (have ${await fsChannels()})`);
}

export function cdrLines(gw: Gateway): CdrRecord[] {
  if (!existsSync(gw.cdrFile)) return [];
  return readFileSync(gw.cdrFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as CdrRecord);
}

export async function cdrFor(gw: Gateway, metaCallId: string): Promise<CdrRecord> {
  let rec: CdrRecord | undefined;
  await until(() => (rec = cdrLines(gw).find((c) => c.meta_call_id === metaCallId)) !== undefined, 5000, `CDR for ${metaCallId}`);
  return rec!;
}

export async function startMeta(d: DrachtioBed = TEST_BED.drachtio): Promise<MetaPeer> {
  const tb = testBed!;
  const t = TEST_BED;
  return MetaPeer.start({
    host: t.meta.host,
    listenPort: t.meta.listenPort,
    cert: tb.certs.meta.cert,
    key: tb.certs.meta.key,
    gateway: { host: d.sipHost, port: d.tlsPort, servername: t.gatewayHostname, ca: tb.certs.caCert },
  });
}

export function startPbx(host: string = TEST_BED.pbx.host, d: DrachtioBed = TEST_BED.drachtio): Promise<PbxPeer> {
  return PbxPeer.start(host, TEST_BED.pbx.port, { host: d.sipHost, port: d.udpPort });
}

export interface CallBed {
  gw: Gateway;
  meta: MetaPeer;
  pbx: PbxPeer;
  /** RTP peers a test opens; closed after each test */
  rtp: RtpPeer[];
}

/**
 * A gateway (with `yaml`), a Meta emulator connected to it and a PBX emulator for one
 * describe block; after each test the RTP peers close and the bed must be clean (0 calls,
 * 0 FreeSWITCH channels).
 */
export function useCallBed(name: string, yaml = gatewayYaml()): CallBed {
  const bed = { rtp: [] as RtpPeer[] } as CallBed;
  beforeAll(async () => {
    bed.gw = await startGateway(name, yaml);
    bed.meta = await startMeta();
    await bed.meta.connect();
    bed.pbx = await startPbx();
  });
  afterEach(async () => {
    for (const r of bed.rtp.splice(0)) await r.close();
    await expectClean(bed.gw);
  });
  afterAll(async () => {
    await bed.meta?.close();
    bed.pbx?.close();
    await bed.gw?.app.stop();
  });
  return bed;
}
