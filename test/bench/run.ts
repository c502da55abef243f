/**
 * `npm run bench`: the gateway on the real drachtio-server and FreeSWITCH, with media
 * anchored, driven by the test bed's Meta (TLS) and PBX peers. Prints:
 *   T1 set-up latency p50/p99 (authenticated INVITE → 200 OK at Meta) beside a bare
 *      drachtio-srf createB2BUA without media, same servers, same peers, same run
 *   T2 the highest calls-per-second step held with zero failures
 *   T4 gateway heap per active call, and after the calls ended
 *   T3 FreeSWITCH CPU per Opus↔PCMU transcoded call (media flowing both ways)
 * Sizes come from env: BENCH_LATENCY_CALLS, BENCH_CPS_STEPS, BENCH_CPS_SECONDS, BENCH_HEAP_CALLS, BENCH_MEDIA_CALLS;
 * BENCH_ONLY=T1,T3 runs only some parts.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Srf from 'drachtio-srf';
import { makeCerts } from '../support/certs';
import { GatewayProcess } from '../support/gateway-process';
import { decodeMulaw, encodeMulaw } from '../support/media/g711';
import { RtpPeer } from '../support/media/rtp-peer';
import { logSpectralDistance, syntheticVoice } from '../support/media/voice';
import { newSdesKey, parseCrypto } from '../support/media/srtp-keys';
import { metaOffer, pbxSdp, mediaTarget } from '../support/sdp';
import { header, randomToken, type SipMessage } from '../support/sip/message';
import { MetaPeer } from '../support/sip/meta-peer';
import { PbxPeer } from '../support/sip/pbx-peer';
import { SipPeer } from '../support/sip/peer';
import { channelCount, fsApi } from '../support/esl';
import { findServers, RUN_DIR, startDrachtio, startFreeswitch, TEST_BED } from '../support/servers';

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const N_LAT = env('BENCH_LATENCY_CALLS', 200);
const CPS_STEPS = (process.env.BENCH_CPS_STEPS ?? '20,50,100').split(',').map(Number);
const CPS_SECONDS = env('BENCH_CPS_SECONDS', 20);
const N_HEAP = env('BENCH_HEAP_CALLS', 100);
const N_HEAP_ROUNDS = env('BENCH_HEAP_ROUNDS', 3);
const N_MEDIA = env('BENCH_MEDIA_CALLS', 20);
const ONLY = (process.env.BENCH_ONLY ?? 'T1,T2,T3,T4').split(',');
const BUSINESS = '+12145551869';
const PASSWORD = 'bench-meta-password';
const HTTP_PORT = 18099;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const out = (s: string) => process.stdout.write(`${s}\n`);

/** one Meta → PBX call up to 200 OK; returns the ms from the (authenticated) INVITE to the 200 */
async function call(meta: MetaPeer, auth: boolean, sdp: string): Promise<{ ms: number; bye: () => Promise<void>; ok: SipMessage }> {
  let inv = meta.buildInvite({ business: BUSINESS, user: '+12195550714', gatewayHost: TEST_BED.gatewayHostname, sdp });
  if (auth) {
    const ch = await meta.request(inv);
    if (ch.status !== 407) throw new Error(`expected 407, got ${ch.status}`);
    meta.ackNon2xx(inv, ch);
    inv = meta.withCredentials(inv, ch, BUSINESS.slice(1), PASSWORD, `sip:${BUSINESS}@${TEST_BED.gatewayHostname}`);
  }
  const t0 = performance.now();
  const ok = await meta.request(inv, 15_000);
  const ms = performance.now() - t0;
  if (ok.status !== 200) throw new Error(`call failed: ${ok.status}`);
  const d = SipPeer.uacDialog(inv, ok);
  d.routes = [];
  meta.ack2xx(d, Number(header(inv, 'CSeq')!.split(' ')[0]));
  return { ms, ok, bye: async () => { const r = await meta.request(meta.inDialog(d, 'BYE'), 15_000); if (r.status !== 200) throw new Error(`BYE ${r.status}`); } };
}

function autoAnswer(pbx: PbxPeer, sdpFor: () => string): void {
  pbx.keepHistory = false;
  pbx.onMessage = (r) => {
    if (r.msg.method === 'INVITE' && !/tag=/.test(header(r.msg, 'To') ?? '')) pbx.answer(r, sdpFor(), randomToken('b'));
  };
}

async function latency(meta: MetaPeer, auth: boolean): Promise<number[]> {
  const sdp = metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() });
  for (let i = 0; i < 10; i++) await (await call(meta, auth, sdp)).bye(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < N_LAT; i++) {
    const c = await call(meta, auth, sdp);
    ms.push(c.ms);
    await c.bye();
  }
  return ms;
}

async function bareB2bua(): Promise<() => void> {
  const srf = new Srf();
  srf.invite((req, res) => {
    srf.createB2BUA(req, res, `sip:1001@${TEST_BED.pbx.host}:${TEST_BED.pbx.port}`, { localSdpB: req.body }).catch(() => undefined);
  });
  srf.connect({ host: TEST_BED.drachtio.adminHost, port: TEST_BED.drachtio.adminPort, secret: TEST_BED.drachtio.secret });
  await new Promise((r) => srf.on('connect', r));
  return () => srf.disconnect();
}

function gatewayConfig(dir: string, ca: string): string {
  const t = TEST_BED;
  const file = join(dir, 'bench.yaml');
  writeFileSync(file, `log: { level: ${process.env.BENCH_LOG_LEVEL ?? "warn"} }
http: { host: 127.0.0.1, port: ${HTTP_PORT} }
drachtio: { host: ${t.drachtio.adminHost}, port: ${t.drachtio.adminPort}, secret_env: BENCH_DRACHTIO_SECRET }
freeswitch: [{ host: ${t.freeswitch.host}, port: ${t.freeswitch.eslPort}, secret_env: BENCH_FS_SECRET }]
meta: { hostname: ${t.gatewayHostname}, source_ranges: [${t.meta.host}/32], outbound_tls_ca_file: ${ca} }
numbers: [{ number: "${BUSINESS}", sip_password_env: BENCH_META_PASSWORD, pbx: main, destination: "1001" }]
pbxs: [{ name: main, host: ${t.pbx.host}, port: ${t.pbx.port}, codecs: [PCMU] }]
cdr: { file: ${join(dir, 'bench.cdr.jsonl')} }
media: { meta_rtp_timeout_seconds: 0 }
`);
  return file;
}

async function cpsStep(meta: MetaPeer, rate: number): Promise<{ started: number; failed: number }> {
  const sdp = metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() });
  const jobs: Promise<void>[] = [];
  let failed = 0;
  const t0 = Date.now();
  for (let i = 0; i < rate * CPS_SECONDS; i++) {
    const due = t0 + (i * 1000) / rate;
    if (due > Date.now()) await sleep(due - Date.now());
    jobs.push(call(meta, true, sdp).then(async (c) => { await sleep(2000); await c.bye(); }).catch(() => { failed++; }));
  }
  await Promise.all(jobs);
  return { started: jobs.length, failed };
}

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks of 10 ms
}

/**
 * What FreeSWITCH's Opus encoder costs in quality: the PBX plays a speech-like signal in
 * PCMU, Meta decodes FreeSWITCH's Opus, and the log-spectral distance to what the PBX sent
 * (after G.711) is measured; G.711 alone is given beside it for scale.
 */
async function voiceQuality(metaRtp: RtpPeer, pbxRtp: RtpPeer): Promise<{ lsdDb: number; g711Db: number }> {
  const voice = syntheticVoice(8000, 4);
  const sent = decodeMulaw(encodeMulaw(voice));
  const from = metaRtp.receivedPcm().length;
  pbxRtp.startPcm(voice);
  await sleep(5200);
  const got = metaRtp.receivedPcm().subarray(from);
  return { lsdDb: logSpectralDistance(sent, 8000, got, metaRtp.sampleRate).lsdDb, g711Db: logSpectralDistance(voice, 8000, sent, 8000).lsdDb };
}

async function mediaCalls(meta: MetaPeer, pbx: PbxPeer, fsPid: number): Promise<{ calls: number; cpuPerCall: number; idle: number; opusRate: string; quality: { lsdDb: number; g711Db: number } }> {
  const idle0 = cpuSeconds(fsPid);
  await sleep(5000);
  const idle = (cpuSeconds(fsPid) - idle0) / 5;
  const peers: RtpPeer[] = [];
  const byes: (() => Promise<void>)[] = [];
  let pbxRtp: RtpPeer | null = null;
  pbx.onMessage = (r) => {
    if (r.msg.method !== 'INVITE' || /tag=/.test(header(r.msg, 'To') ?? '') || !pbxRtp) return;
    const target = mediaTarget(r.msg.body);
    pbxRtp.setRemote(target.ip, target.port);
    pbx.answer(r, pbxSdp({ ip: TEST_BED.pbx.host, port: pbxRtp.port }), randomToken('m'));
  };
  let quality = { lsdDb: NaN, g711Db: NaN };
  for (let i = 0; i < N_MEDIA; i++) {
    const key = newSdesKey();
    const m = await RtpPeer.open({ host: TEST_BED.meta.host, codec: 'OPUS', payloadType: 111, srtp: { localKeyB64: key } });
    pbxRtp = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: 'PCMU', payloadType: 0 });
    peers.push(m, pbxRtp);
    const c = await call(meta, true, metaOffer({ ip: TEST_BED.meta.host, port: m.port, keyB64: key }));
    const target = mediaTarget(c.ok.body);
    m.setRemote(target.ip, target.port);
    byes.push(c.bye);
    // the quality check runs on the first call alone, so the bench's own decoding keeps up;
    // the other Meta peers do not decrypt (the CPU figure is FreeSWITCH's, not the bench's)
    if (i === 0) {
      m.setSrtpRemoteKey(parseCrypto(c.ok.body)!.keyB64);
      quality = await voiceQuality(m, pbxRtp);
      m.setSrtpRemoteKey(newSdesKey()); // stop decoding: a key FreeSWITCH does not use
    }
    m.startTone(600);
    pbxRtp.startTone(1000);
  }
  await sleep(2000);
  const t = TEST_BED.freeswitch;
  const opusRates = [...(await fsApi(t.host, t.eslPort, t.password, 'show channels')).matchAll(/,opus,(\d+),/g)].map((m) => m[1]);
  const c0 = cpuSeconds(fsPid);
  await sleep(10_000);
  const used = (cpuSeconds(fsPid) - c0) / 10;
  for (const b of byes) await b();
  for (const p of peers) await p.close();
  return { calls: N_MEDIA, cpuPerCall: (used - idle) / N_MEDIA, idle, opusRate: [...new Set(opusRates)].join('/') || '?', quality };
}

function reportLatency(bare: number[], ours: number[]): void {
  const line = (name: string, xs: number[]) => `${name.padEnd(34)} p50 ${pct(xs, 50).toFixed(1).padStart(6)} ms   p99 ${pct(xs, 99).toFixed(1).padStart(6)} ms`;
  out(`T1 set-up latency (INVITE → 200 OK at Meta)`);
  out(`  ${line('bare drachtio-srf B2BUA, no media', bare)}`);
  out(`  ${line('gateway, media in FreeSWITCH', ours)}`);
  out(`  added: p50 ${(pct(ours, 50) - pct(bare, 50)).toFixed(1)} ms, p99 ${(pct(ours, 99) - pct(bare, 99)).toFixed(1)} ms (target ≤ 20 ms p99)`);
}

/** the gateway's used heap after a full GC (SIGUSR2, see gc-on-signal.cjs) */
async function heapAfterGc(gw: GatewayProcess): Promise<number> {
  gw.signal('SIGUSR2');
  await sleep(500);
  return gw.metric('wagw_nodejs_heap_size_used_bytes');
}

async function heapPerCall(gw: GatewayProcess, meta: MetaPeer): Promise<void> {
  const sdp = metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() });
  // warm-up: code paths compiled and caches filled before the baseline
  for (let i = 0; i < 20; i++) await (await call(meta, true, sdp)).bye();
  const heap0 = await heapAfterGc(gw);
  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  // rounds: a leak would show as a heap that grows round after round once the calls ended
  for (let round = 1; round <= N_HEAP_ROUNDS; round++) {
    const held: (() => Promise<void>)[] = [];
    for (let i = 0; i < N_HEAP; i++) held.push((await call(meta, true, sdp)).bye);
    await sleep(2000);
    const heapHeld = await heapAfterGc(gw);
    for (const b of held) await b();
    await sleep(3000);
    const heapAfter = await heapAfterGc(gw);
    out(`T4 round ${round}, heap after GC: ${mb(heap0)} idle, ${mb(heapHeld)} with ${N_HEAP} calls ` +
      `→ ${((heapHeld - heap0) / N_HEAP / 1024).toFixed(1)} kB per call (target ≤ 50 kB); ${mb(heapAfter)} after they ended ` +
      `(${((heapAfter - heap0) / 1024).toFixed(0)} kB above idle)`);
  }
}

async function callsPerSecond(gw: GatewayProcess, meta: MetaPeer): Promise<void> {
  out(`T2 calls per second, each held 2 s, ${CPS_SECONDS} s per step (media anchored; the peers send no RTP)`);
  let best = 0;
  for (const rate of CPS_STEPS) {
    const r = await cpsStep(meta, rate);
    out(`  ${String(rate).padStart(4)} cps: ${r.started} calls, ${r.failed} failed`);
    if (r.failed === 0) best = rate;
    else break;
    await sleep(3000);
  }
  out(`  highest step with zero failures: ${best} cps (target 100 cps for 5 min)`);
  const t = TEST_BED.freeswitch;
  for (const wait of [15, 30, 45]) {
    await sleep(15_000); // let an overloaded step drain
    const left = await channelCount(t.host, t.eslPort, t.password);
    out(`  ${wait} s after the last step: FreeSWITCH channels ${left}, gateway calls ${await gw.metricSum('wagw_active_calls')}`);
  }
}

async function transcodingCpu(meta: MetaPeer, pbx: PbxPeer, fsPid: number): Promise<void> {
  try {
    const m = await mediaCalls(meta, pbx, fsPid);
    const perCore = m.cpuPerCall > 0 ? 1 / m.cpuPerCall : Infinity;
    out(`T3 FreeSWITCH CPU with ${m.calls} Opus↔PCMU calls (Opus at ${m.opusRate} Hz inside FreeSWITCH, ${process.env.FS_VARS || 'docker/freeswitch defaults'}), media both ways: ${(m.cpuPerCall * 100).toFixed(2)}% of a core per call ` +
      `(idle ${(m.idle * 100).toFixed(1)}%) → ${perCore.toFixed(0)} calls per core (target ≥ 130)`);
    out(`T3 quality, PBX → Meta, speech-like signal: log-spectral distance ${m.quality.lsdDb.toFixed(2)} dB through G.711 → Opus ` +
      `(G.711 alone: ${m.quality.g711Db.toFixed(2)} dB; 0 is identical)`);
  } catch (err) {
    out(`T3 could not be measured: ${(err as Error).message}`);
  }
}

async function main(): Promise<void> {
  const bins = findServers();
  if (!bins.drachtio || !bins.freeswitch) throw new Error('SKIPPED: bench needs drachtio-server and FreeSWITCH (DRACHTIO_BIN / FREESWITCH_BIN or PATH)');
  const dir = join(RUN_DIR, 'bench');
  mkdirSync(dir, { recursive: true });
  const certs = makeCerts(join(RUN_DIR, 'certs'), TEST_BED.gatewayHostname);
  const fs = await startFreeswitch(bins.freeswitch);
  const dr = await startDrachtio(bins.drachtio, certs.gateway);
  const t = TEST_BED;
  const meta = await MetaPeer.start({ host: t.meta.host, listenPort: t.meta.listenPort, cert: certs.meta.cert, key: certs.meta.key,
    gateway: { host: t.drachtio.sipHost, port: t.drachtio.tlsPort, servername: t.gatewayHostname, ca: certs.caCert } });
  meta.keepHistory = false;
  await meta.connect();
  const pbx = await PbxPeer.start(t.pbx.host, t.pbx.port, { host: t.drachtio.sipHost, port: t.drachtio.udpPort });
  autoAnswer(pbx, () => pbxSdp({ ip: t.pbx.host, port: 41000 }));
  out(`wa-sip-gateway bench, ${new Date().toISOString()}, ${N_LAT} sequential calls per latency run`);
  let gw: GatewayProcess | null = null;
  // a bench stopped half-way (Ctrl-C, timeout) must not leave its gateway draining on drachtio
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      gw?.proc.kill('SIGKILL');
      void Promise.allSettled([dr.stop(), fs.stop()]).then(() => process.exit(130));
    });
  }
  try {
    let bare: number[] = [];
    if (ONLY.includes('T1')) {
      const stopBare = await bareB2bua();
      bare = await latency(meta, false);
      stopBare();
      await sleep(500);
    }
    gw = GatewayProcess.start(gatewayConfig(dir, join(certs.dir, 'ca.crt')), {
      BENCH_DRACHTIO_SECRET: t.drachtio.secret, BENCH_FS_SECRET: t.freeswitch.password, BENCH_META_PASSWORD: PASSWORD,
    }, HTTP_PORT, 'gateway-bench', ['--expose-gc', '--require', join(__dirname, 'gc-on-signal.cjs')]);
    await gw.readyz(200, 20_000);
    if (ONLY.includes('T1')) reportLatency(bare, await latency(meta, true));
    if (ONLY.includes('T4')) await heapPerCall(gw, meta);
    if (ONLY.includes('T2')) await callsPerSecond(gw, meta);
    if (ONLY.includes('T3')) await transcodingCpu(meta, pbx, fs.proc.pid!);
  } finally {
    await gw?.kill();
    await meta.close();
    pbx.close();
    await dr.stop();
    await fs.stop();
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
