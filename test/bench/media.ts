/**
 * T3: FreeSWITCH CPU per Opus↔PCMU call with media both ways (or per Opus↔Opus call when the
 * PBX answers Opus: BENCH_T3_PBX_CODEC=OPUS). A first call alone measures the quality (the
 * log-spectral distance of a speech-like signal PBX → Meta); then BENCH_MEDIA_CALLS calls carry a
 * tone both ways from lean load streams (load-stream.ts) while FreeSWITCH's CPU is read over
 * BENCH_T3_SECONDS. Every stream must have sent and received 50 packets/s (2 % tolerance) over
 * that window, frames the load's clock skipped in a stall counting against it, else the result is FAILED. BENCH_T3_BEFORE / BENCH_T3_AFTER: shell commands run around the
 * window (e.g. `callgrind_control -z` / `-d` for a FreeSWITCH under callgrind).
 */
import { exec } from 'node:child_process';
import { promisify } from 'node:util';
import { decodeMulaw, encodeMulaw } from '../support/media/g711';
import { RtpPeer } from '../support/media/rtp-peer';
import { newSdesKey, parseCrypto } from '../support/media/srtp-keys';
import { logSpectralDistance, syntheticVoice } from '../support/media/voice';
import { fsApi } from '../support/esl';
import { randomToken } from '../support/sip/message';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { header } from '../support/sip/message';
import { mediaTarget, metaOffer, pbxSdp } from '../support/sdp';
import { TEST_BED } from '../support/servers';
import { call, cpuSeconds, cpuTimes, env, out, sleep } from './common';
import { LoadClock, LoadStream, tonePayloads } from './load-stream';
import { checkStreamRates } from './stats';

const run = promisify(exec);
export const N_MEDIA = env('BENCH_MEDIA_CALLS', 40);
const WINDOW_S = env('BENCH_T3_SECONDS', 10);
export const PBX_CODEC = (process.env.BENCH_T3_PBX_CODEC ?? 'PCMU').toUpperCase() as 'PCMU' | 'OPUS';
const PBX_PT = PBX_CODEC === 'OPUS' ? 111 : 0;
const pbxAnswer = (port: number) => pbxSdp({ ip: TEST_BED.pbx.host, port, codecs: [PBX_CODEC === 'OPUS' ? { pt: 111, name: 'opus/48000/2' } : { pt: 0, name: 'PCMU/8000' }] });

/**
 * Meta's offer; BENCH_META_CAPTURE_RATE=8000 measures what an offer saying sprop-maxcapturerate=8000
 * would give (Meta's own says 16000)
 */
const offer = (o: { ip: string; port: number; keyB64: string }): string => {
  const sdp = metaOffer(o);
  const rate = process.env.BENCH_META_CAPTURE_RATE;
  return rate ? sdp.replace(/sprop-maxcapturerate=\d+/, `sprop-maxcapturerate=${rate}`) : sdp;
};

/** the PBX answers each INVITE with the port `next()` gives, and aims that stream at FreeSWITCH */
function pbxAnswers(pbx: PbxPeer, next: () => { port: number; aim: (ip: string, port: number) => void } | null): void {
  pbx.onMessage = (r) => {
    if (r.msg.method !== 'INVITE' || /tag=/.test(header(r.msg, 'To') ?? '')) return;
    const s = next();
    if (!s) return;
    const target = mediaTarget(r.msg.body);
    s.aim(target.ip, target.port);
    pbx.answer(r, pbxAnswer(s.port), randomToken('m'));
  };
}

/** a speech-like signal PBX → Meta through FreeSWITCH, on one call alone */
async function quality(meta: MetaPeer, pbx: PbxPeer): Promise<{ lsdDb: number; refDb: number }> {
  const key = newSdesKey();
  const m = await RtpPeer.open({ host: TEST_BED.meta.host, codec: 'OPUS', payloadType: 111, srtp: { localKeyB64: key } });
  const p = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: PBX_CODEC, payloadType: PBX_PT });
  pbxAnswers(pbx, () => ({ port: p.port, aim: (ip, port) => p.setRemote(ip, port) }));
  try {
    const c = await call(meta, true, offer({ ip: TEST_BED.meta.host, port: m.port, keyB64: key }));
    const target = mediaTarget(c.ok.body);
    m.setRemote(target.ip, target.port);
    m.setSrtpRemoteKey(parseCrypto(c.ok.body)!.keyB64);
    m.startTone(600);
    const voice = syntheticVoice(p.sampleRate, 4);
    // what the PBX's own codec leaves of it: G.711's loss is the PBX's, not FreeSWITCH's
    const sent = PBX_CODEC === 'PCMU' ? decodeMulaw(encodeMulaw(voice)) : voice;
    const from = m.receivedPcm().length;
    p.startPcm(voice);
    await sleep(5200);
    const got = m.receivedPcm().subarray(from);
    await c.bye();
    return { lsdDb: logSpectralDistance(sent, p.sampleRate, got, m.sampleRate).lsdDb, refDb: logSpectralDistance(voice, p.sampleRate, sent, p.sampleRate).lsdDb };
  } finally {
    await m.close();
    await p.close();
  }
}

/** each channel's codecs, e.g. `opus@16000/opus@16000 ×40, PCMU@8000/PCMU@8000 ×40` */
async function channelCodecs(): Promise<string> {
  const t = TEST_BED.freeswitch;
  const json = await fsApi(t.host, t.eslPort, t.password, 'show channels as json');
  const rows = (JSON.parse(json.slice(json.indexOf('{'))) as { rows?: Record<string, string>[] }).rows ?? [];
  const n = new Map<string, number>();
  for (const r of rows) {
    const k = `${r.read_codec}@${r.read_rate}/${r.write_codec}@${r.write_rate}`;
    n.set(k, (n.get(k) ?? 0) + 1);
  }
  return [...n].map(([k, c]) => `${k} ×${c}`).join(', ') || 'none';
}

export async function transcodingCpu(meta: MetaPeer, pbx: PbxPeer, fsPid: number): Promise<void> {
  const q = await quality(meta, pbx);
  const idle0 = cpuSeconds(fsPid);
  await sleep(5000);
  const idle = (cpuSeconds(fsPid) - idle0) / 5;
  const clock = new LoadClock();
  const metaMedia = { ...tonePayloads('OPUS', 600), payloadType: 111 };
  const pbxMedia = { ...tonePayloads(PBX_CODEC, 1000), payloadType: PBX_PT };
  const byes: (() => Promise<void>)[] = [];
  let pending: LoadStream | null = null;
  pbxAnswers(pbx, () => {
    const s = pending;
    pending = null;
    return s && { port: s.port, aim: (ip, port) => { s.setRemote(ip, port); clock.add(s); } };
  });
  try {
    for (let i = 0; i < N_MEDIA; i++) {
      const key = newSdesKey();
      const m = await LoadStream.open(`call ${i + 1} Meta`, TEST_BED.meta.host, metaMedia, key);
      pending = await LoadStream.open(`call ${i + 1} PBX`, TEST_BED.pbx.host, pbxMedia);
      const c = await call(meta, true, offer({ ip: TEST_BED.meta.host, port: m.port, keyB64: key }));
      const target = mediaTarget(c.ok.body);
      m.setRemote(target.ip, target.port);
      clock.add(m);
      byes.push(c.bye);
    }
    await sleep(2000);
    const codecs = await channelCodecs();
    if (process.env.BENCH_T3_BEFORE) await run(process.env.BENCH_T3_BEFORE); // not execSync: the load's clock keeps ticking
    const before = clock.counts();
    const stalled0 = clock.stalledFrames;
    const gen0 = process.cpuUsage();
    const c0 = cpuTimes(fsPid);
    const t0 = performance.now();
    await sleep(WINDOW_S * 1000);
    const c1 = cpuTimes(fsPid);
    const used = (c1.user + c1.system - c0.user - c0.system) / WINDOW_S;
    const kernel = (c1.system - c0.system) / WINDOW_S;
    const seconds = (performance.now() - t0) / 1000;
    const after = clock.counts();
    const gen = process.cpuUsage(gen0);
    if (process.env.BENCH_T3_AFTER) await run(process.env.BENCH_T3_AFTER);
    const rates = checkStreamRates(before, after, seconds);
    const stalled = clock.stalledFrames - stalled0;
    const cpuPerCall = (used - idle) / N_MEDIA;
    const settings = process.env.FS_VARS || 'docker/freeswitch defaults';
    out(`T3 FreeSWITCH with ${N_MEDIA} Opus↔${PBX_CODEC} calls (${settings}), media both ways, ${seconds.toFixed(1)} s window`);
    out(`  channels (read/write codec): ${codecs}`);
    out(`  streams: lowest rate sent ${rates.minSentPps.toFixed(1)} packets/s, received ${rates.minReceivedPps.toFixed(1)} packets/s` +
      ` (each of ${after.length} must be ≥ 49); generator stalls ${stalled} frames; generator CPU ${((gen.user + gen.system) / 1e6 / seconds * 100).toFixed(0)}% of a core`);
    // frames a stalled clock skipped were not sent: they count against the stream's rate
    if (!rates.ok) {
      out(`  FAILED: the media did not run at 50 packets/s on every stream, no calls-per-core figure: ${rates.problems.slice(0, 5).join('; ')}${rates.problems.length > 5 ? ` (+${rates.problems.length - 5} more)` : ''}`);
    } else {
      out(`  CPU ${(cpuPerCall * 100).toFixed(3)}% of a core per call (FreeSWITCH idle ${(idle * 100).toFixed(1)}%, busy ${(used * 100).toFixed(1)}%, of it in the kernel ${(kernel * 100).toFixed(1)}%)` +
        ` → ${(1 / cpuPerCall).toFixed(0)} calls per core (target ≥ 130 at ≥ 40 calls)`);
    }
    out(`  quality, PBX → Meta, speech-like signal, one call alone: log-spectral distance ${q.lsdDb.toFixed(2)} dB ` +
      `(${PBX_CODEC} alone: ${q.refDb.toFixed(2)} dB; 0 is identical)`);
  } finally {
    for (const b of byes) await b().catch(() => undefined);
    await clock.close();
  }
}
