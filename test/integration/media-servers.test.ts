import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { channelCount } from '../support/esl';
import { dominantTone } from '../support/media/tone';
import type { RtpPeer } from '../support/media/rtp-peer';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { SPARE_BED, TEST_BED, type FreeswitchBed, type Running } from '../support/servers';
import { establishInbound } from './flows';
import { testBed, until, type Gateway } from './harness';
import { startTwoMediaServers, type TwoMediaServers } from './two-media-servers';

/**
 * Issue 5 (resilience): with two FreeSWITCH servers configured, new calls spread across
 * the healthy ones, audio flows on either, and when one goes down new calls go to the other.
 */
const second = SPARE_BED.freeswitch;
const channels = (f: FreeswitchBed) => channelCount(f.host, f.eslPort, f.password);

async function expectTonesBothWays(c: { metaRtp: RtpPeer; pbxRtp: RtpPeer }): Promise<void> {
  c.pbxRtp.startTone(1000);
  c.metaRtp.startTone(600);
  await new Promise((r) => setTimeout(r, 1500));
  const toMeta = c.metaRtp.receivedPcm();
  const toPbx = c.pbxRtp.receivedPcm();
  expect(dominantTone(toMeta.subarray(Math.floor(toMeta.length / 3)), c.metaRtp.sampleRate, [600, 1000]).freq).toBe(1000);
  expect(dominantTone(toPbx.subarray(Math.floor(toPbx.length / 3)), c.pbxRtp.sampleRate, [600, 1000]).freq).toBe(600);
}

describe.skipIf(!testBed)('several FreeSWITCH servers', () => {
  let bed: TwoMediaServers | undefined;
  let fs2: Running;
  let gw: Gateway;
  let meta: MetaPeer;
  let pbx: PbxPeer;
  const rtp: RtpPeer[] = [];

  beforeAll(async () => {
    bed = await startTwoMediaServers('media-servers');
    ({ fs2, gw, meta, pbx } = bed);
  });
  afterEach(async () => {
    for (const r of rtp.splice(0)) await r.close();
  });
  afterAll(async () => {
    await bed?.stop();
  });

  it('spreads 4 calls 2 + 2, with audio both ways on each server, and leaves no channel behind', async () => {
    const calls = [];
    for (let i = 0; i < 4; i++) calls.push(await establishInbound(meta, pbx, rtp));
    // two legs per call: 2 calls on each server (FreeSWITCH's channel list lags a little)
    await until(async () => (await channels(TEST_BED.freeswitch)) === 4 && (await channels(second)) === 4, 3000,
      `4 channels on each server (have ${await channels(TEST_BED.freeswitch)} and ${await channels(second)})`);
    // the least loaded server is chosen for each call, so they alternate
    const one = `${TEST_BED.freeswitch.host}:${TEST_BED.freeswitch.eslPort}`;
    const two = `${second.host}:${second.eslPort}`;
    expect(gw.app.registry.all().map((c) => c.mediaServer())).toEqual([one, two, one, two]);
    await Promise.all([expectTonesBothWays(calls[0]!), expectTonesBothWays(calls[1]!)]);
    for (const c of calls) await meta.request(meta.inDialog(c.metaDialog, 'BYE'));
    await until(async () => gw.app.registry.size === 0 && (await channels(TEST_BED.freeswitch)) === 0 && (await channels(second)) === 0,
      8000, 'no calls and no channels on either server');
  });

  it('one server down: new calls go to the other and work', async () => {
    await fs2.stop();
    await until(() => gw.app.media.healthyCount() === 1, 10_000, 'the stopped server seen as down');
    const a = await establishInbound(meta, pbx, rtp);
    const b = await establishInbound(meta, pbx, rtp);
    await until(async () => (await channels(TEST_BED.freeswitch)) === 4, 3000, 'both calls on the server left');
    await expectTonesBothWays(b);
    for (const c of [a, b]) await meta.request(meta.inDialog(c.metaDialog, 'BYE'));
    await until(async () => gw.app.registry.size === 0 && (await channels(TEST_BED.freeswitch)) === 0, 8000, 'no calls and no channels');
  });
});
