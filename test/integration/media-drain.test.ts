import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli';
import { bufferIo } from '../../src/cli/output';
import { channelCount } from '../support/esl';
import type { RtpPeer } from '../support/media/rtp-peer';
import { newSdesKey } from '../support/media/srtp-keys';
import { dominantTone } from '../support/media/tone';
import { metaOffer } from '../support/sdp';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { SPARE_BED, TEST_BED, type FreeswitchBed, type Running } from '../support/servers';
import { establishInbound, metaInviteWithAuth } from './flows';
import { testBed, until, type Gateway } from './harness';
import { startTwoMediaServers, type TwoMediaServers } from './two-media-servers';

/**
 * Issue 13: a media server drained through the CLI (and so the HTTP API) gets no new
 * calls; the call it has goes on, audio both ways, until hung up; resumed, it takes calls again.
 */
const HTTP_PORT = 18094;
const second = SPARE_BED.freeswitch;
const channels = (f: FreeswitchBed) => channelCount(f.host, f.eslPort, f.password);
const name = (f: FreeswitchBed) => `${f.host}:${f.eslPort}`;

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const io = bufferIo();
  const code = await run(argv, {}, io);
  return { code, out: io.stdout.join('') + io.stderr.join('') };
}

describe.skipIf(!testBed)('draining a media server', () => {
  let bed: TwoMediaServers | undefined;
  let fs2: Running;
  let gw: Gateway;
  let meta: MetaPeer;
  let pbx: PbxPeer;
  const rtp: RtpPeer[] = [];
  const gateway = `http://127.0.0.1:${HTTP_PORT}`;
  const readyz = async () => (await fetch(`${gateway}/readyz`)).status;

  beforeAll(async () => {
    bed = await startTwoMediaServers('media-drain', { httpPort: HTTP_PORT });
    ({ fs2, gw, meta, pbx } = bed);
  });
  afterEach(async () => {
    for (const r of rtp.splice(0)) await r.close();
  });
  afterAll(async () => {
    await bed?.stop();
  });

  it('drained: new calls go elsewhere, its call goes on with audio until hung up; drained everywhere: 503; resumed: calls again', async () => {
    const first = await establishInbound(meta, pbx, rtp);
    const busy = gw.app.registry.all()[0]!.mediaServer()!;
    const [busyBed, otherBed] = busy === name(TEST_BED.freeswitch) ? [TEST_BED.freeswitch, second] : [second, TEST_BED.freeswitch];
    const drained = await cli('media', 'drain', busy, '--gateway', gateway);
    expect(drained.code).toBe(0);
    expect(drained.out).toContain(`${busy}  connected, drained, 2 FreeSWITCH channels`);

    const next = [await establishInbound(meta, pbx, rtp), await establishInbound(meta, pbx, rtp)];
    expect(gw.app.registry.all().map((c) => c.mediaServer()).slice(1)).toEqual([name(otherBed), name(otherBed)]);
    await until(async () => (await channels(otherBed)) === 4, 3000, 'the two new calls on the other server');
    expect(await channels(busyBed)).toBe(2);
    expect(await readyz()).toBe(200);
    // the drained server's call still carries audio both ways
    const [metaFrom, pbxFrom] = [first.metaRtp.receivedPcm().length, first.pbxRtp.receivedPcm().length];
    first.pbxRtp.startTone(1000);
    first.metaRtp.startTone(600);
    const enough = (r: RtpPeer, from: number) => r.receivedPcm().length - from > r.sampleRate;
    await until(() => enough(first.metaRtp, metaFrom) && enough(first.pbxRtp, pbxFrom), 5000, 'a second of audio each way since the tones started');
    // the second half of what came since the tones started, past the jitter of the start
    const tail = (r: RtpPeer, from: number) => { const pcm = r.receivedPcm().subarray(from); return pcm.subarray(Math.floor(pcm.length / 2)); };
    expect(dominantTone(tail(first.metaRtp, metaFrom), first.metaRtp.sampleRate, [600, 1000]).freq).toBe(1000);
    expect(dominantTone(tail(first.pbxRtp, pbxFrom), first.pbxRtp.sampleRate, [600, 1000]).freq).toBe(600);

    // both drained: nowhere to put a new call
    expect((await cli('media', 'drain', name(otherBed), '--gateway', gateway)).code).toBe(0);
    expect(await readyz()).toBe(503);
    const refused = await metaInviteWithAuth(meta, metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() }));
    expect((await meta.waitResponse(refused.callId, refused.cseq, (s) => s >= 200)).msg.status).toBe(503);

    for (const c of [first, ...next]) await meta.request(meta.inDialog(c.metaDialog, 'BYE'));
    await until(async () => gw.app.registry.size === 0 && (await channels(busyBed)) === 0 && (await channels(otherBed)) === 0, 8000, 'no call, no channel');
    const resumed = await cli('media', 'resume', busy, '--gateway', gateway);
    expect(resumed.out).toContain(`${busy}  connected, 0 FreeSWITCH channels`);
    const again = await establishInbound(meta, pbx, rtp);
    expect(gw.app.registry.all()[0]!.mediaServer()).toBe(busy);
    await meta.request(meta.inDialog(again.metaDialog, 'BYE'));
    await cli('media', 'resume', name(otherBed), '--gateway', gateway);
    const list = await cli('media', 'list', '--gateway', gateway);
    expect(list.out).not.toContain('drained');
    expect((await cli('media', 'drain', '10.9.9.9:8021', '--gateway', gateway)).code).toBe(1);
  });
});
