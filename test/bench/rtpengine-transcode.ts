/**
 * What would meet T3 (issue 12): rtpengine (Debian's 10.5, userspace, loopback) doing the Opus↔PCMU
 * work FreeSWITCH does in media.ts. Run: `npx tsx test/bench/rtpengine-transcode.ts` (under the
 * integration lock). Each call is an ng offer of Meta's SDES offer, transcoded toward the PBX side to
 * plain PCMU (opus masked there), and an ng answer of a PCMU-only PBX answer. One call alone first
 * carries a speech-like signal PBX → Meta, decoded on both sides (the payload types each side gets,
 * and the log-spectral distance); then BENCH_MEDIA_CALLS calls carry the lean load both ways while
 * rtpengine's CPU is read over BENCH_T3_SECONDS, less its idle CPU. Every stream must run at 50
 * packets/s (checkStreamRates, as in media.ts), else FAILED and no figure.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NgClient, type NgDict } from '../../src/media/rtpengine/ng-client';
import { decodeMulaw, encodeMulaw } from '../support/media/g711';
import { RtpPeer } from '../support/media/rtp-peer';
import { newSdesKey, parseCrypto } from '../support/media/srtp-keys';
import { logSpectralDistance, syntheticVoice } from '../support/media/voice';
import { findRtpengine, RTPENGINE_BED, RtpengineServer } from '../support/rtpengine';
import { mediaTarget, metaOffer, pbxSdp } from '../support/sdp';
import { RUN_DIR, TEST_BED } from '../support/servers';
import { cpuTimes, env, out, sleep } from './common';
import { LoadClock, LoadStream, tonePayloads } from './load-stream';
import { checkStreamRates } from './stats';

const N = env('BENCH_MEDIA_CALLS', 40);
const WINDOW_S = env('BENCH_T3_SECONDS', 20);
const META = TEST_BED.meta.host;
const PBX = TEST_BED.pbx.host;
/** toward the PBX: plain RTP, PCMU only (opus masked: still accepted from Meta, never offered on) */
const TOWARD_PBX: NgDict = { 'transport-protocol': 'RTP/AVP', ICE: 'remove', 'rtcp-mux': ['demux'], codec: { mask: ['opus'], transcode: ['PCMU'] } };
/** BENCH_RTPE_CODEC_SET, e.g. `opus/48000/2/20000`: ng `codec: { set: [...] }` (rtpengine's codec parameters: name/rate/channels/bitrate) */
const CODEC_SET = (process.env.BENCH_RTPE_CODEC_SET ?? '').split(',').filter(Boolean);
if (CODEC_SET.length) (TOWARD_PBX.codec as NgDict).set = CODEC_SET;

const ng = new NgClient(RTPENGINE_BED.host, RTPENGINE_BED.ngPort, 2000);
const codecsOf = (sdp: string): string => (/^m=audio \d+ (\S+) ([\d ]+)/m.exec(sdp) ?? []).slice(1).join(' ') + ' ' + [...sdp.matchAll(/^a=rtpmap:(\d+) (\S+)/gm)].map((m) => `${m[1]}=${m[2]}`).join(',');

/** one call set up through rtpengine; each leg's SDP is checked to say what the bench needs */
async function setUp(callId: string, meta: { port: number; keyB64: string }, pbxPort: number): Promise<{ toPbx: string; toMeta: string }> {
  const offer = await ng.request('offer', { 'call-id': callId, 'from-tag': 'meta', sdp: metaOffer({ ip: META, ...meta }), ...TOWARD_PBX });
  const toPbx = String(offer.sdp ?? '');
  if (!/^m=audio \d+ RTP\/AVP 0( \d+)*\r?$/m.test(toPbx) || /opus/i.test(toPbx) || /a=crypto/.test(toPbx)) throw new Error(`offer toward the PBX is not plain PCMU only:\n${toPbx}`);
  const answer = await ng.request('answer', { 'call-id': callId, 'from-tag': 'meta', 'to-tag': 'pbx', sdp: pbxSdp({ ip: PBX, port: pbxPort }) });
  const toMeta = String(answer.sdp ?? '');
  if (!/^m=audio \d+ RTP\/SAVP 111\b/m.test(toMeta) || !/a=rtpmap:111 opus\/48000\/2/.test(toMeta) || !parseCrypto(toMeta)) throw new Error(`answer toward Meta is not SDES Opus 111:\n${toMeta}`);
  return { toPbx, toMeta };
}

const callId = (i: number | string): string => `rtpe-bench-${i}-${randomBytes(4).toString('hex')}`;

/** one call alone: Opus tone Meta → PBX, speech-like PCMU PBX → Meta, both decoded */
async function quality(): Promise<{ text: string; id: string }> {
  const key = newSdesKey();
  const m = await RtpPeer.open({ host: META, codec: 'OPUS', payloadType: 111, srtp: { localKeyB64: key } });
  const p = await RtpPeer.open({ host: PBX, codec: 'PCMU', payloadType: 0 });
  const id = callId('quality');
  try {
    const { toPbx, toMeta } = await setUp(id, { port: m.port, keyB64: key }, p.port);
    const a = mediaTarget(toMeta);
    const b = mediaTarget(toPbx);
    m.setRemote(a.ip, a.port);
    m.setSrtpRemoteKey(parseCrypto(toMeta)!.keyB64);
    p.setRemote(b.ip, b.port);
    m.startTone(600);
    const voice = syntheticVoice(p.sampleRate, 4);
    const sent = decodeMulaw(encodeMulaw(voice)); // G.711's own loss is the PBX's
    p.startPcm(voice);
    await sleep(5200);
    const got = m.receivedPcm();
    const lsd = logSpectralDistance(sent, p.sampleRate, got, m.sampleRate).lsdDb;
    const ref = logSpectralDistance(voice, p.sampleRate, sent, p.sampleRate).lsdDb;
    const q = await ng.request('query', { 'call-id': id });
    const ptM = [...m.receivedPayloadTypes].join(',');
    const ptP = [...p.receivedPayloadTypes].join(',');
    const legs = legCodecs(q);
    if (ptM !== '111' || ptP !== '0' || !/meta RTP\/SAVP opus\/48000\/2 \(transcoding\)/.test(legs) || !/pbx RTP\/AVP PCMU\/8000 \(transcoding\)/.test(legs)) {
      throw new Error(`not transcoded: Meta side got PT ${ptM || 'none'}, PBX side PT ${ptP || 'none'}; ng query: ${legs}`);
    }
    return { id, text: [
      `  SDP toward the PBX: ${codecsOf(toPbx)}; toward Meta: ${codecsOf(toMeta)}`,
      `  one call alone: Meta side received PT ${ptM} (${m.receivedPcm().length} samples decoded), PBX side PT ${ptP} (${p.receivedPcm().length} samples); ng query: ${legs}`,
      `  quality, PBX → Meta, speech-like signal: log-spectral distance ${lsd.toFixed(2)} dB (PCMU alone: ${ref.toFixed(2)} dB; 0 is identical)`,
    ].join('\n') };
  } finally {
    await ng.request('delete', { 'call-id': id }).catch(() => undefined);
    await m.close();
    await p.close();
  }
}

/** each leg (tag) as an ng query reports it: protocol, codec, and rtpengine's own "transcoding" flag */
function legCodecs(q: NgDict): string {
  const tags = (q.tags ?? {}) as Record<string, NgDict>;
  return Object.entries(tags).map(([tag, t]) => ((t.medias ?? []) as NgDict[])
    .map((md) => `${tag} ${String(md.protocol)} ${String(md.codec)}${((md.flags ?? []) as unknown[]).includes('transcoding') ? ' (transcoding)' : ''}`).join(', ')).join('; ');
}

async function main(): Promise<void> {
  const bin = findRtpengine();
  if (!bin) {
    out('SKIPPED: no rtpengine binary (RTPENGINE_BIN, /usr/bin/rtpengine)');
    return;
  }
  const rtpe = await RtpengineServer.start(bin, ['--log-level-codec=7']); // its encoders' settings in its log
  // never leave rtpengine behind: on Ctrl-C, a kill, or a closed stdout (`| head`) too
  process.on('exit', () => {
    try {
      process.kill(rtpe.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => process.exit(1));
  process.stdout.on('error', () => process.exit(1));
  const clock = new LoadClock();
  const ids: string[] = [];
  try {
    const q = await quality();
    const i0 = cpuTimes(rtpe.pid);
    await sleep(5000);
    const i1 = cpuTimes(rtpe.pid);
    const idle = (i1.user + i1.system - i0.user - i0.system) / 5;
    const metaMedia = { ...tonePayloads('OPUS', 600), payloadType: 111 };
    const pbxMedia = { ...tonePayloads('PCMU', 1000), payloadType: 0 };
    for (let i = 0; i < N; i++) {
      const key = newSdesKey();
      const m = await LoadStream.open(`call ${i + 1} Meta`, META, metaMedia, key);
      const p = await LoadStream.open(`call ${i + 1} PBX`, PBX, pbxMedia);
      clock.add(m); // sends nothing until its remote is set; closed with the clock whatever happens
      clock.add(p);
      const id = callId(i + 1);
      ids.push(id);
      const { toPbx, toMeta } = await setUp(id, { port: m.port, keyB64: key }, p.port);
      const a = mediaTarget(toMeta);
      const b = mediaTarget(toPbx);
      m.setRemote(a.ip, a.port);
      p.setRemote(b.ip, b.port);
    }
    await sleep(2000);
    const before = clock.counts();
    const stalled0 = clock.stalledFrames;
    const gen0 = process.cpuUsage();
    const c0 = cpuTimes(rtpe.pid);
    const t0 = performance.now();
    await sleep(WINDOW_S * 1000);
    const c1 = cpuTimes(rtpe.pid);
    const seconds = (performance.now() - t0) / 1000;
    const after = clock.counts();
    const gen = process.cpuUsage(gen0);
    const used = (c1.user + c1.system - c0.user - c0.system) / seconds;
    const kernel = (c1.system - c0.system) / seconds;
    const rates = checkStreamRates(before, after, seconds);
    const stalled = clock.stalledFrames - stalled0;
    const perCall = (used - idle) / N;
    out(`T3 rtpengine (${bin}, userspace) with ${N} Opus↔PCMU calls, media both ways, ${seconds.toFixed(1)} s window`);
    out(`  rtpengine's encoders (its log): ${encoders(q.id)}; Opus complexity: not set by rtpengine 10.5 (libavcodec's libopus default, 10); codec set: ${CODEC_SET.join(',') || 'none'}`);
    out(q.text);
    out(`  streams: lowest rate sent ${rates.minSentPps.toFixed(1)} packets/s, received ${rates.minReceivedPps.toFixed(1)} packets/s` +
      ` (each of ${after.length} must be ≥ 49); generator stalls ${stalled} frames; generator CPU ${((gen.user + gen.system) / 1e6 / seconds * 100).toFixed(0)}% of a core`);
    if (!rates.ok) {
      out(`  FAILED: the media did not run at 50 packets/s on every stream, no calls-per-core figure: ${rates.problems.slice(0, 5).join('; ')}${rates.problems.length > 5 ? ` (+${rates.problems.length - 5} more)` : ''}`);
      process.exitCode = 1;
    } else {
      out(`  CPU ${(perCall * 100).toFixed(3)}% of a core per call (rtpengine idle ${Math.abs(idle * 100).toFixed(1)}%, busy ${(used * 100).toFixed(1)}%, of it in the kernel ${(kernel * 100).toFixed(1)}% = ${(kernel / used * 100).toFixed(0)}%)` +
        ` → ${(1 / perCall).toFixed(0)} calls per core (target ≥ 130 at ≥ 40 calls)`);
    }
  } finally {
    for (const id of ids) await ng.request('delete', { 'call-id': id }).catch(() => undefined);
    await clock.close();
    ng.close();
    await rtpe.stop();
  }
}

/** the encoders rtpengine created for a call, as its codec log (level 7) says */
function encoders(id: string): string {
  const log = readFileSync(join(RUN_DIR, 'logs', 'rtpengine.log'), 'utf8');
  const lines = [...log.matchAll(new RegExp(`\\[${id}\\]: \\[codec\\] Encoder created with clockrate (\\d+), (\\d+) channels.*bitrate (\\d+)`, 'g'))];
  return lines.map((m) => `${m[1]} Hz ${m[2]} ch ${Number(m[3]) ? `${Number(m[3]) / 1000} kbit/s` : 'fixed rate'}`).join(', ') || 'not in its log';
}

main().catch((err: unknown) => {
  out(`FAILED: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
