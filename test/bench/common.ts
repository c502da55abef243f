/** What the bench's parts share: sizes from env, the Meta → PBX call, the gateway's config. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { header, randomToken, type SipMessage } from '../support/sip/message';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { SipPeer } from '../support/sip/peer';
import { TEST_BED } from '../support/servers';

export const env = (k: string, d: number): number => Number(process.env[k] ?? d);
export const BUSINESS = '+12145551869';
export const PASSWORD = 'bench-meta-password';
export const HTTP_PORT = 18099;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

export interface Call {
  ms: number;
  ok: SipMessage;
  bye: () => Promise<void>;
}

/** one Meta → PBX call up to 200 OK; `ms` is from the (authenticated) INVITE to the 200 */
export async function call(meta: MetaPeer, auth: boolean, sdp: string, gatewayHost: string = TEST_BED.gatewayHostname): Promise<Call> {
  let inv = meta.buildInvite({ business: BUSINESS, user: '+12195550714', gatewayHost, sdp });
  if (auth) {
    const ch = await meta.request(inv);
    if (ch.status !== 407) throw new Error(`expected 407, got ${ch.status}`);
    meta.ackNon2xx(inv, ch);
    inv = meta.withCredentials(inv, ch, BUSINESS.slice(1), PASSWORD, `sip:${BUSINESS}@${gatewayHost}`);
  }
  const t0 = performance.now();
  const ok = await meta.request(inv, 15_000);
  const ms = performance.now() - t0;
  if (ok.status !== 200) throw new Error(`call failed: ${ok.status}`);
  const d = SipPeer.uacDialog(inv, ok);
  d.routes = [];
  meta.ack2xx(d, Number(header(inv, 'CSeq')!.split(' ')[0]));
  return {
    ms, ok,
    bye: async () => {
      const r = await meta.request(meta.inDialog(d, 'BYE'), 15_000);
      if (r.status !== 200) throw new Error(`BYE ${r.status}`);
    },
  };
}

export function autoAnswer(pbx: PbxPeer, sdpFor: () => string): void {
  pbx.keepHistory = false;
  pbx.onMessage = (r) => {
    if (r.msg.method === 'INVITE' && !/tag=/.test(header(r.msg, 'To') ?? '')) pbx.answer(r, sdpFor(), randomToken('b'));
  };
}

/** the kernel's clock tick (utime/stime in /proc are counted in it), read from the system */
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** a process's CPU time so far (user + system), seconds */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

/** a process's user and system (kernel) CPU time so far, seconds */
export function cpuTimes(pid: number): { user: number; system: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(f[11]) / CLK_TCK, system: Number(f[12]) / CLK_TCK };
}

/** BENCH_COMFORT_NOISE=0: the gateway's `media.comfort_noise` off (T2 then measures signalling without FreeSWITCH's Opus encoder) */
export const COMFORT_NOISE = process.env.BENCH_COMFORT_NOISE !== '0';

export function gatewayConfig(dir: string, ca: string, pbxCodecs: string[] = ['PCMU'], rtpengine?: string): string {
  const t = TEST_BED;
  const file = join(dir, 'bench.yaml');
  writeFileSync(file, `log: { level: ${process.env.BENCH_LOG_LEVEL ?? 'warn'} }
http: { host: 127.0.0.1, port: ${HTTP_PORT} }
drachtio: { host: ${t.drachtio.adminHost}, port: ${t.drachtio.adminPort}, secret_env: BENCH_DRACHTIO_SECRET }
freeswitch: [{ host: ${t.freeswitch.host}, port: ${t.freeswitch.eslPort}, secret_env: BENCH_FS_SECRET }]
meta: { hostname: ${t.gatewayHostname}, source_ranges: [${t.meta.host}/32], outbound_tls_ca_file: ${ca} }
numbers: [{ number: "${BUSINESS}", sip_password_env: BENCH_META_PASSWORD, pbx: main, destination: "1001" }]
pbxs: [{ name: main, host: ${t.pbx.host}, port: ${t.pbx.port}, codecs: [${pbxCodecs.join(', ')}] }]
cdr: { file: ${join(dir, 'bench.cdr.jsonl')} }
media: { meta_rtp_timeout_seconds: 0, comfort_noise: ${COMFORT_NOISE} }
${rtpengine ? `rtpengine: { address: ${rtpengine} }\n` : ''}`);
  return file;
}
