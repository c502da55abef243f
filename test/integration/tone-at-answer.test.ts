import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayProcess } from '../support/gateway-process';
import { sine, toneLevel } from '../support/media/tone';
import type { RtpPeer } from '../support/media/rtp-peer';
import { RUN_DIR } from '../support/servers';
import { header } from '../support/sip/message';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { establishInbound } from './flows';
import { fsChannels, gatewayYaml, startMeta, startPbx, testBed, TEST_ENV, until } from './harness';

/**
 * Issue 9, item 5: a tone the PBX starts with its 200 OK reaches Meta whole. Before, FreeSWITCH
 * bridged the legs only once the PBX had answered, and 100-140 ms of such a tone was lost
 * (880 of 1000 ms reached Meta). Now the offering leg is held in early media and bridged while
 * the PBX rings (src/media/early-media.ts, fs-dialog-leg.ts bridgeEarly).
 *
 * The gateway runs as its own process, as in production: in this one it would share the event
 * loop with the PBX emulator's packet clock, and its work at answer (and the JIT, in the first
 * calls) would make the emulator send late and in bursts, which FreeSWITCH then trims.
 *
 * The PBX rings RING_MS before answering, as a person does. A PBX that answers before
 * FreeSWITCH has bridged the held leg (its uuid_bridge takes 60-80 ms after our INVITE left)
 * still loses the start of what it sends; see README ("Audio at answer").
 */
const RUNS = 10;
const RING_MS = 300;
const TONE_HZ = 1000;
const BLOCK_MS = 10;
/** a 10 ms block counts as tone at this level (the tone is sent at amplitude 8000) */
const TONE_LEVEL = 1500;
/** silent blocks after the tone that mark it as over */
const TAIL_BLOCKS = 30;
const HTTP_PORT = 18097;
/**
 * The PBX emulator's packet clock runs in this test process, on a machine that may be busy.
 * Without FreeSWITCH's jitter buffer (FS_VARS=media_jitterbuffer_msec=0; 60 ms by default since
 * 2026-12-04, and then none of 31 calls with this process stalled 45 ms mid-tone lost any of it,
 * so the rules below are for runs without it and for stalls it cannot cover), a frame that comes
 * ~10 ms late or more costs up to 20 ms of the tone (seen with the sender's frames 31-41 ms
 * apart under two CPU burners, with and without rtp-autoflush-during-bridge). That is jitter
 * from the test bed, not loss at answer, which is what this test measures: such a call is
 * shown and not counted, and at most EXTRA_CALLS of them are replaced (more means the machine
 * is too busy to measure, a failure).
 * On a quiet machine the sender's longest gap was 23-27 ms in each call. A frame late by less
 * can still cost 20 ms (CI once: 980 ms in one call; under one CPU burner here a call with its
 * sender 37 ms late lost 20 ms at 940-970 ms into the tone). Audio lost at answer is lost at the
 * start of the tone, so a call short of the tone whose only blocks without it lie after
 * ANSWER_WINDOW_MS lost it to that jitter too, and is shown and replaced the same way.
 *
 * Inside the window too, a block without the tone between blocks with it is a PBX frame that
 * FreeSWITCH did not have at its 20 ms tick (it sent Meta comfort noise instead), and without the
 * jitter buffer a burst after a late frame costs a frame of it: with this process stalled 45 ms
 * 420 ms into the tone (2026-12-04), 7 of 18 calls lost 20 ms there, with
 * rtp-autoflush-during-bridge on and off.
 * How close to FreeSWITCH's tick a frame may come depends on the two clocks' phase, so a longest
 * gap under MAX_FRAME_GAP_MS does not rule it out. A call short of the tone whose first such
 * block is where the emulator sent a frame SENDER_LATE_MS or more behind its 20 ms grid is shown
 * and replaced the same way; a call with a block missing where the emulator was on time counts.
 */
const MAX_FRAME_GAP_MS = 30;
const ANSWER_WINDOW_MS = 200;
/** later than the emulator's normal timer jitter (frames leave 0-3 ms behind their grid on a quiet machine) */
const SENDER_LATE_MS = 5;
/** ms of the 1000 ms tone a call must bring to Meta: "whole", give or take one 10 ms block */
const WHOLE_MS = 990;
const EXTRA_CALLS = 5;
/** the late burst of the second test: the PBX's packets held back this long, this far into the tone */
const HOLD_MS = 45;
const HOLD_AFTER_FRAMES = 20;
const BURST_RUNS = 6;

/** 1000 ms of the tone, then silence (RtpPeer plays it from its start, in a loop) */
function toneThenSilence(rate = 8000): Int16Array {
  const pcm = new Int16Array(rate * 10);
  pcm.set(sine(TONE_HZ, rate, rate, 8000));
  return pcm;
}

/** for each 10 ms block of what Meta decoded, in arrival order: tone or not */
function toneBlocks(peer: RtpPeer): boolean[] {
  const pcm = peer.receivedPcm();
  const n = (peer.sampleRate * BLOCK_MS) / 1000;
  const out: boolean[] = [];
  for (let i = 0; i + n <= pcm.length; i += n) out.push(toneLevel(pcm.subarray(i, i + n), peer.sampleRate, TONE_HZ) > TONE_LEVEL);
  return out;
}

/** where, in ms from the tone's first block at Meta, blocks without it come before its last block */
function gapsInTone(blocks: boolean[]): number[] {
  const first = blocks.indexOf(true);
  const out: number[] = [];
  for (let i = first; i >= 0 && i <= blocks.lastIndexOf(true); i++) if (!blocks[i]) out.push((i - first) * BLOCK_MS);
  return out;
}

/**
 * The packets Meta decoded around `atMs` from the tone's first block (the one holding it
 * starred), each with its steps from the one before in sequence number, RTP timestamp and
 * arrival: a skipped sequence number means FreeSWITCH sent nothing there, a +1 step a frame
 * with other content (its comfort noise, when the PBX leg's read came back empty).
 */
function packetTrail(peer: RtpPeer, blocks: boolean[], atMs: number): string {
  const sample = ((blocks.indexOf(true) * BLOCK_MS + atMs) * peer.sampleRate) / 1000;
  const packets = peer.audioPackets;
  let end = 0;
  const at = packets.findIndex((p) => (end += p.samples) > sample);
  if (at < 0) return 'not kept';
  return packets
    .slice(Math.max(1, at - 3), at + 4)
    .map((p, i, shown) => {
      const prev = shown[i - 1] ?? packets[packets.indexOf(p) - 1]!;
      return `${p === packets[at] ? '*' : ''}${p.seq} (+${(p.seq - prev.seq) & 0xffff} seq, +${(p.timestamp - prev.timestamp) >>> 0} ts, +${p.at - prev.at} ms)`;
    })
    .join(' ');
}

/**
 * How late, in ms behind the 20 ms grid of its first frame, the PBX emulator sent the frames of
 * the tone next to `atMs` (from the tone's first block at Meta): the one holding it and its
 * neighbours, as the codecs' delay moves the blocks at Meta by a few ms.
 */
function senderLateAt(peer: RtpPeer, atMs: number): number {
  const sent = peer.audioSentAt;
  const k = Math.floor(atMs / 20);
  let late = 0;
  for (let j = Math.max(1, k - 1); j <= k + 1 && j < sent.length; j++) late = Math.max(late, sent[j]! - sent[0]! - j * 20);
  return Math.round(late);
}

/** the tone has come and gone: TAIL_BLOCKS without it after the last block with it */
function toneOver(blocks: boolean[]): boolean {
  const last = blocks.lastIndexOf(true);
  return last >= 0 && blocks.length - 1 - last >= TAIL_BLOCKS;
}

describe.skipIf(!testBed)('a tone the PBX starts with its 200 OK (issue 9)', () => {
  let gw: GatewayProcess;
  const bed = { rtp: [] as RtpPeer[] } as { meta: MetaPeer; pbx: PbxPeer; rtp: RtpPeer[] };

  beforeAll(async () => {
    const dir = join(RUN_DIR, 'gateway');
    mkdirSync(dir, { recursive: true });
    const configFile = join(dir, 'tone-at-answer.yaml');
    writeFileSync(configFile, `${gatewayYaml().replace('http:\n  port: 0', `http:\n  port: ${HTTP_PORT}`)}\ncdr:\n  file: ${join(dir, 'tone-at-answer.cdr.jsonl')}\n`);
    gw = GatewayProcess.start(configFile, TEST_ENV, HTTP_PORT, 'gateway-tone-at-answer');
    await gw.readyz(200, 20_000);
    bed.meta = await startMeta();
    await bed.meta.connect();
    bed.pbx = await startPbx();
  }, 60_000);
  afterAll(async () => {
    for (const r of bed.rtp.splice(0)) await r.close();
    await bed.meta?.close();
    bed.pbx?.close();
    await gw?.kill();
  });

  /** no call left in the gateway, no channel in FreeSWITCH */
  const clean = () => until(async () => (await gw.metricSum('wagw_active_calls')) === 0 && (await fsChannels()) === 0, 8000, 'zero calls and zero FreeSWITCH channels');

  /** one call: the PBX answers with the tone; how many ms of it Meta decoded, and whether Meta heard us before its 200 OK */
  async function oneCall(tone: Int16Array, holdMs = 0): Promise<{ ms: number; gaps: number[]; trail: string; heardBeforeOk: boolean; senderGapMs: number; senderSkipped: number; senderLateMs: number }> {
    const c = await establishInbound(bed.meta, bed.pbx, bed.rtp, { pbxPcmAtAnswer: tone, pbxRingMs: RING_MS });
    c.metaRtp.startSilence();
    if (holdMs) {
      await c.pbxRtp.waitFor((p) => p.audioSentAt.length >= HOLD_AFTER_FRAMES, 3000, `${HOLD_AFTER_FRAMES} frames of the tone sent`);
      c.pbxRtp.holdFrames(holdMs);
    }
    await c.metaRtp.waitFor((p) => toneOver(toneBlocks(p)), 5000, 'the tone at Meta, and its end');
    const blocks = toneBlocks(c.metaRtp);
    const ms = blocks.filter(Boolean).length * BLOCK_MS;
    const gaps = gapsInTone(blocks);
    const trail = gaps.length ? packetTrail(c.metaRtp, blocks, gaps[0]!) : '';
    const heardBeforeOk = c.metaRtp.firstPacketAt !== null && c.metaRtp.firstPacketAt <= c.okAt;
    const senderGapMs = Math.round(c.pbxRtp.longestFrameGapMs);
    const senderSkipped = c.pbxRtp.skippedFrames;
    const senderLateMs = gaps.length ? senderLateAt(c.pbxRtp, gaps[0]!) : 0;
    expect(c.metaRtp.authFailures).toBe(0);
    expect(await bed.meta.request(bed.meta.inDialog(c.metaDialog, 'BYE'))).toMatchObject({ status: 200 });
    await bed.pbx.waitRequest('BYE', header(c.inv.msg, 'Call-ID')!);
    for (const r of bed.rtp.splice(0)) await r.close();
    await clean();
    return { ms, gaps, trail, heardBeforeOk, senderGapMs, senderSkipped, senderLateMs };
  }

  it(`reaches Meta whole (at least ${WHOLE_MS} of 1000 ms) in each of ${RUNS} calls, with Meta hearing our side before the answer`, async () => {
    const tone = toneThenSilence();
    // the first call runs cold, here and in the gateway (the JIT); it is shown, not counted. On the
    // wire (tshark, 2026-12-04, before the jitter buffer) its 40 ms without the tone 20 ms in were
    // this process: the PBX emulator sent its 2nd and 3rd frames together 42-45 ms after the 1st;
    // FreeSWITCH sent Meta comfort noise meanwhile, then every PBX frame in one call and all but
    // one of the burst in another
    const warmUp = await oneCall(tone);
    process.stdout.write(`MEASURED: warm-up call (not counted): ${warmUp.ms} ms of 1000, blocks without the tone at ${warmUp.gaps.join(',') || 'none'}, the PBX emulator's longest gap between frames ${warmUp.senderGapMs} ms, at the first gap ${warmUp.senderLateMs} ms late${warmUp.trail && `; packets at Meta around the first: ${warmUp.trail}`}\n`);
    const results: Awaited<ReturnType<typeof oneCall>>[] = [];
    let replaced = 0;
    while (results.length < RUNS) {
      const r = await oneCall(tone);
      const stalled = r.senderGapMs > MAX_FRAME_GAP_MS || r.senderSkipped > 0;
      const lostLate = r.ms < WHOLE_MS && r.gaps.length > 0 && r.gaps.every((at) => at >= ANSWER_WINDOW_MS);
      const sentLate = r.ms < WHOLE_MS && r.gaps.length > 0 && r.senderLateMs >= SENDER_LATE_MS;
      if (!stalled && !lostLate && !sentLate) {
        results.push(r);
        continue;
      }
      const why = stalled
        ? `the PBX emulator's clock stalled (frames ${r.senderGapMs} ms apart, ${r.senderSkipped} dropped)`
        : lostLate
          ? `frames lost only after the first ${ANSWER_WINDOW_MS} ms (the test bed's packet timing, sender's longest gap ${r.senderGapMs} ms)`
          : `the PBX emulator sent the frames at the first gap ${r.senderLateMs} ms late`;
      process.stdout.write(`MEASURED: not counted, ${why}: ${r.ms} ms of 1000, gaps at ${r.gaps.join(',') || 'none'}${r.trail && `; packets at Meta around the first: ${r.trail}`}\n`);
      expect(++replaced, 'the test machine is too busy to measure: the PBX emulator stalled or frames went missing mid-tone in too many calls').toBeLessThanOrEqual(EXTRA_CALLS);
    }
    const numbers = results.map((r) => r.ms);
    process.stdout.write(`MEASURED: tone started by the PBX with its 200 OK, ms of 1000 that reached Meta in ${RUNS} calls: ${numbers.join(' ')}\n`);
    // a loss at answer shows at the start of the tone; a gap later in it is the test bed's packet timing
    const gapped = results.map((r, i) => (r.gaps.length ? `call ${i + 1}: ${r.gaps.join(',')} (the PBX emulator ${r.senderLateMs} ms late there; packets at Meta around the first: ${r.trail})` : '')).filter(Boolean);
    process.stdout.write(`MEASURED: blocks without the tone inside it, ms from its start: ${gapped.join('; ') || 'none'}\n`);
    process.stdout.write(`MEASURED: the PBX emulator's longest gap between frames, per call: ${results.map((r) => r.senderGapMs).join(' ')} ms\n`);
    expect(Math.min(...numbers)).toBeGreaterThanOrEqual(WHOLE_MS);
    // a tone longer than sent would mean the count is wrong, not that the call is better
    expect(Math.max(...numbers)).toBeLessThanOrEqual(1020);
    // SPEC M11: our side sends first; FreeSWITCH's comfort noise reaches Meta from the bridge on
    expect(results.every((r) => r.heardBeforeOk)).toBe(true);
  }, 150_000);

  it(`loses none of it when the PBX's packets come ${HOLD_MS} ms late in a burst ${HOLD_AFTER_FRAMES * 20} ms into it, in each of ${BURST_RUNS} calls (FreeSWITCH's jitter buffer)`, async () => {
    // without the buffer (FS_VARS=media_jitterbuffer_msec=0) 4 of 6 such calls lost 20 ms (2026-12-04)
    const tone = toneThenSilence();
    const results: Awaited<ReturnType<typeof oneCall>>[] = [];
    for (let i = 0; i < BURST_RUNS; i++) results.push(await oneCall(tone, HOLD_MS));
    process.stdout.write(`MEASURED: the PBX's packets held ${HOLD_MS} ms, then sent in a burst: ms of 1000 that reached Meta in ${BURST_RUNS} calls: ${results.map((r) => r.ms).join(' ')}; the emulator's longest gap ${results.map((r) => r.senderGapMs).join(' ')} ms\n`);
    // the hold happened: each call's sender paused about HOLD_MS
    expect(Math.min(...results.map((r) => r.senderGapMs))).toBeGreaterThanOrEqual(HOLD_MS);
    expect(Math.min(...results.map((r) => r.ms))).toBeGreaterThanOrEqual(WHOLE_MS);
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThanOrEqual(1020);
  }, 60_000);
});
