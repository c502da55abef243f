import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { channelCount } from '../support/esl';
import type { RtpPeer } from '../support/media/rtp-peer';
import { newSdesKey } from '../support/media/srtp-keys';
import { findRedis } from '../support/redis';
import { metaOffer, pbxSdp } from '../support/sdp';
import { header, type SipMessage } from '../support/sip/message';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { findServers, SPARE_BED, TEST_BED } from '../support/servers';
import { LEASE_SECONDS, startClusterBed, type ClusterBed } from './cluster-bed';
import { establishInbound, metaInviteWithAuth } from './flows';
import { BUSINESS, startMeta, startPbx, testBed, until, WA_USER } from './harness';

/**
 * Issue 13, acceptance 1-4: two gateway instances on one drachtio-server, limits and used
 * nonces in Redis (per-number limit 3, lease 3 s, fail-closed), on the real servers.
 */
const redisBin = findRedis();
if (testBed && !redisBin) process.stdout.write('SKIPPED: cluster-gateways tests: redis-server not found (REDIS_BIN, PATH, /usr/bin)\n');
type Call = Awaited<ReturnType<typeof establishInbound>>;

describe.skipIf(!testBed || !redisBin)('two gateway instances on one drachtio-server', () => {
  let c: ClusterBed;
  let meta: MetaPeer;
  let pbx: PbxPeer;
  const rtp: RtpPeer[] = [];
  const fsChannels = () => channelCount(TEST_BED.freeswitch.host, TEST_BED.freeswitch.eslPort, TEST_BED.freeswitch.password);
  const offer = () => metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() });
  /** the instance whose log says it admitted the call with this Meta Call-ID */
  const admittedBy = (callId: string) => {
    const line = (log: string) => log.split('\n').some((l) => l.includes('Meta call admitted') && l.includes(`"callId":"${callId}"`));
    return line(c.logA()) ? 'a' : line(c.b.log()) ? 'b' : null;
  };
  const activeB = () => c.b.metricSum('wagw_active_calls');
  const hangUp = async (call: Call) => {
    expect((await meta.request(meta.inDialog(call.metaDialog, 'BYE'))).status).toBe(200);
    await pbx.waitRequest('BYE', header(call.inv.msg, 'Call-ID')!);
  };

  beforeAll(async () => {
    const bins = findServers();
    c = await startClusterBed(redisBin!, bins.drachtio!, { onUnreachable: 'fail-closed' });
    meta = await startMeta(SPARE_BED.drachtio);
    await meta.connect();
    pbx = await startPbx(TEST_BED.pbx.host, SPARE_BED.drachtio);
  }, 90_000);
  afterEach(async () => {
    for (const r of rtp.splice(0)) await r.close();
  });
  afterAll(async () => {
    await meta?.close();
    pbx?.close();
    await c?.close();
  });

  it('per-number limit 3: the fourth concurrent call gets 503 whichever instance takes it; the counters return to 0 after the calls', async () => {
    const calls: Call[] = [];
    for (let i = 0; i < 3; i++) calls.push(await establishInbound(meta, pbx, rtp));
    const where = calls.map((x) => admittedBy(x.attempt.callId));
    expect(new Set(where)).toEqual(new Set(['a', 'b'])); // drachtio-server hands INVITEs out in turn
    expect(await c.totals()).toEqual({ total: 3, byNumber: { [BUSINESS]: 3 } });
    const refusedAt = async () => [(await c.metricA('wagw_admission_rejections_total{code="LIMIT_NUMBER",status="503"}')) > 0 && 'a',
      (await c.b.metric('wagw_admission_rejections_total{code="LIMIT_NUMBER",status="503"}')) > 0 && 'b'].filter(Boolean);
    for (let i = 0; i < 6 && (await refusedAt()).length < 2; i++) {
      // a call is two INVITEs (challenged, then authenticated): one more moves the next to the other instance
      if (i % 2 === 1) {
        const lone = meta.buildInvite({ business: BUSINESS, user: WA_USER, gatewayHost: TEST_BED.gatewayHostname, sdp: offer() });
        meta.ackNon2xx(lone, await meta.request(lone));
      }
      const fourth = await metaInviteWithAuth(meta, offer());
      const final = await meta.waitResponse(fourth.callId, fourth.cseq, (s) => s >= 200);
      expect(`${final.msg.status} ${final.msg.reason}`).toBe('503 Too Many Calls For Number');
    }
    expect(await refusedAt()).toEqual(['a', 'b']);
    process.stdout.write(`cluster: the 3 calls on instances ${where.join(', ')}; the fourth refused by both\n`);
    for (const x of calls) await hangUp(x);
    await until(async () => (await c.totals()).total === 0, 5000, 'Redis counts no call');
    expect(await c.totals()).toEqual({ total: 0, byNumber: {} });
    await until(async () => (await fsChannels()) === 0, 5000, 'no FreeSWITCH channel left');
  });

  it('one instance SIGKILLed while it holds calls: its share is free within the lease, the other instance\'s calls go on, new calls succeed', async () => {
    const calls: Call[] = [];
    for (let i = 0; i < 3; i++) calls.push(await establishInbound(meta, pbx, rtp));
    const onA = calls.filter((x) => admittedBy(x.attempt.callId) === 'a');
    const heldByB = await activeB();
    expect(heldByB).toBeGreaterThan(0);
    expect(onA.length).toBeGreaterThan(0);
    c.b.signal('SIGKILL');
    const killedAt = Date.now();
    await c.b.exited(5000);
    await until(async () => (await c.totals()).total === onA.length, (LEASE_SECONDS + 2) * 1000, `Redis counts only instance a's ${onA.length} calls`);
    const freedMs = Date.now() - killedAt;
    process.stdout.write(`cluster: SIGKILL of b with ${heldByB} calls; its share free after ${freedMs} ms (lease ${LEASE_SECONDS} s)\n`);
    expect(freedMs).toBeLessThan(LEASE_SECONDS * 1000 + 1000);
    // instance a's calls go on: in-dialog requests still answered, both legs up
    expect(c.a.app.registry.size).toBe(onA.length);
    const more: Call[] = [];
    for (let i = 0; i < heldByB; i++) more.push(await establishInbound(meta, pbx, rtp));
    expect(await c.totals()).toEqual({ total: 3, byNumber: { [BUSINESS]: 3 } });
    for (const x of [...onA, ...more]) await hangUp(x);
    await until(async () => (await c.totals()).total === 0, 5000, 'Redis counts no call');
    await c.startB();
  });

  it('Redis stopped: fail-closed refuses new calls with 503, logged and counted; Redis back (empty): the counters match the live calls', async () => {
    const calls: Call[] = [];
    for (let i = 0; i < 2; i++) calls.push(await establishInbound(meta, pbx, rtp));
    expect((await c.totals()).total).toBe(2);
    await c.redis.kill();
    // a Meta call stops at the nonce check, a PBX call (trusted on its UDP source) at the limits
    const refused = await metaInviteWithAuth(meta, offer());
    expect((await meta.waitResponse(refused.callId, refused.cseq, (s) => s >= 200)).msg.status).toBe(503);
    const agent = pbx.buildInvite('900447700900123', pbxSdp({ ip: TEST_BED.pbx.host, port: 40002 }));
    expect((await pbx.request(agent)).status).toBe(503);
    const unreachable = async (what: string) => (await c.metricA(`wagw_shared_state_unreachable_total{what="${what}",outcome="refused"}`))
      + (await c.b.metric(`wagw_shared_state_unreachable_total{what="${what}",outcome="refused"}`));
    expect(await unreachable('nonces')).toBeGreaterThanOrEqual(1);
    expect(await unreachable('limits')).toBeGreaterThanOrEqual(1);
    await until(() => /Redis unreachable for (limits|nonces)/.test(c.logA() + c.b.log()), 5000, 'the outage logged');
    // a call ends while Redis is away: its release is lost, the count is written anew later
    await hangUp(calls.pop()!);
    await c.redis.restart();
    await until(async () => JSON.stringify(await c.totals().catch(() => null)) === JSON.stringify({ total: 1, byNumber: { [BUSINESS]: 1 } }),
      (LEASE_SECONDS + 3) * 1000, 'Redis counts the one live call');
    await until(() => c.logA().includes('Redis answers again'), 5000, 'instance a says Redis is back');
    await hangUp(calls.pop()!);
    await until(async () => (await c.totals()).total === 0, 5000, 'Redis counts no call');
  });

  it('a nonce issued through one instance is accepted through the other; replayed, it is refused', async () => {
    const challengedBy = (callId: string) => {
      const line = (log: string) => log.split('\n').some((l) => l.includes('AUTH_CHALLENGE_PROXY') && l.includes(`"callId":"${callId}"`));
      return line(c.logA()) ? 'a' : line(c.b.log()) ? 'b' : null;
    };
    let crossed: { invite: SipMessage; by: string } | null = null;
    for (let i = 0; i < 6 && !crossed; i++) {
      const at = await metaInviteWithAuth(meta, offer());
      const inv = await pbx.nextInvite();
      pbx.reject(inv, 486, 'Busy Here');
      await meta.waitResponse(at.callId, at.cseq, (s) => s >= 200);
      const [from, to] = [challengedBy(at.callId), admittedBy(at.callId)];
      if (from && to && from !== to) crossed = { invite: at.invite, by: to };
    }
    expect(crossed).not.toBeNull();
    // the same credentials in new INVITEs (new Call-ID): refused with a fresh challenge, at either instance
    const auth = header(crossed!.invite, 'Proxy-Authorization')!;
    const refusedBy = new Set<string>();
    for (let i = 0; i < 4 && refusedBy.size < 2; i++) {
      const replay = meta.buildInvite({ business: BUSINESS, user: WA_USER, gatewayHost: TEST_BED.gatewayHostname, sdp: offer() });
      replay.headers.push(['Proxy-Authorization', auth]);
      const r = await meta.request(replay);
      expect(r.status).toBe(407);
      expect(header(r, 'Proxy-Authenticate')).toContain('stale=true');
      meta.ackNon2xx(replay, r);
      refusedBy.add(challengedBy(header(replay, 'Call-ID')!) ?? '?');
    }
    expect(refusedBy).toEqual(new Set(['a', 'b']));
    const otherLog = crossed!.by === 'a' ? c.b.log() : c.logA();
    expect(otherLog).toContain('nonce replayed (used at another instance)');
    expect(pbx.requests('INVITE').length).toBeGreaterThan(0);
  });
});

describe.skipIf(!testBed || !redisBin)('two gateway instances, Redis unreachable with fail-open', () => {
  let c: ClusterBed;
  let meta: MetaPeer;
  let pbx: PbxPeer;
  const rtp: RtpPeer[] = [];

  beforeAll(async () => {
    c = await startClusterBed(redisBin!, findServers().drachtio!, { onUnreachable: 'fail-open' });
    meta = await startMeta(SPARE_BED.drachtio);
    await meta.connect();
    pbx = await startPbx(TEST_BED.pbx.host, SPARE_BED.drachtio);
  }, 90_000);
  afterAll(async () => {
    for (const r of rtp.splice(0)) await r.close();
    await meta?.close();
    pbx?.close();
    await c?.close();
  });

  it('calls go on while Redis is away (counted as admitted); Redis back (empty): the counters include the calls admitted meanwhile', async () => {
    const calls: Call[] = [await establishInbound(meta, pbx, rtp)];
    await c.redis.kill();
    calls.push(await establishInbound(meta, pbx, rtp), await establishInbound(meta, pbx, rtp));
    const admitted = async (what: string) => (await c.metricA(`wagw_shared_state_unreachable_total{what="${what}",outcome="admitted"}`))
      + (await c.b.metric(`wagw_shared_state_unreachable_total{what="${what}",outcome="admitted"}`));
    expect(await admitted('limits')).toBe(2);
    expect(await admitted('nonces')).toBe(2);
    await until(() => /Redis unreachable for (limits|nonces); fail-open/.test(c.logA() + c.b.log()), 5000, 'the outage logged');
    await c.redis.restart();
    await until(async () => JSON.stringify(await c.totals().catch(() => null)) === JSON.stringify({ total: 3, byNumber: { [BUSINESS]: 3 } }),
      (LEASE_SECONDS + 3) * 1000, 'Redis counts the three live calls');
    for (const x of calls) {
      expect((await meta.request(meta.inDialog(x.metaDialog, 'BYE'))).status).toBe(200);
      await pbx.waitRequest('BYE', header(x.inv.msg, 'Call-ID')!);
    }
    await until(async () => (await c.totals()).total === 0, 5000, 'Redis counts no call');
  });
});
