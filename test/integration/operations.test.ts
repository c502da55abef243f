import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtpPeer } from '../support/media/rtp-peer';
import { GatewayProcess } from '../support/gateway-process';
import { metaOffer } from '../support/sdp';
import { header } from '../support/sip/message';
import type { MetaPeer } from '../support/sip/meta-peer';
import type { PbxPeer } from '../support/sip/pbx-peer';
import { findServers, RUN_DIR, SPARE_BED, startDrachtio, startFreeswitch, TEST_BED, type Running } from '../support/servers';
import { channelCount } from '../support/esl';
import { newSdesKey } from '../support/media/srtp-keys';
import { establishInbound, metaInviteWithAuth } from './flows';
import { BUSINESS, gatewayYaml, startMeta, startPbx, testBed, TEST_ENV, until, WA_USER } from './harness';

/**
 * Issue 5, acceptance 2-4, on a spare drachtio-server + FreeSWITCH pair that these tests
 * stop and restart, with the gateway as its own process: /readyz and /metrics, FreeSWITCH
 * or drachtio-server going away, SIGHUP reload, SIGTERM drain.
 */
const HTTP_PORT = 18091;
const bed = SPARE_BED;

describe.skipIf(!testBed)('operating the gateway', () => {
  let fs: Running;
  let drachtio: Running;
  let gw: GatewayProcess;
  let meta: MetaPeer;
  let pbx: PbxPeer;
  const rtp: RtpPeer[] = [];
  const configFile = join(RUN_DIR, 'gateway', 'operations.yaml');
  const cdrFile = join(RUN_DIR, 'gateway', 'operations.cdr.jsonl');
  const yaml = (destination = '1001') =>
    gatewayYaml(`cdr:\n  file: ${cdrFile}\nshutdown:\n  drain_seconds: 120\n`, bed)
      .replace('http:\n  port: 0', `http:\n  port: ${HTTP_PORT}`)
      .replace('destination: "1001"', `destination: "${destination}"`);
  const bins = findServers();

  beforeAll(async () => {
    fs = await startFreeswitch(bins.freeswitch!, bed.freeswitch, 'freeswitch-spare');
    drachtio = await startDrachtio(bins.drachtio!, testBed!.certs.gateway, bed.drachtio, 'drachtio-spare');
    mkdirSync(join(RUN_DIR, 'gateway'), { recursive: true }); // this file may run first (a fresh clone in CI)
    writeFileSync(configFile, yaml());
    writeFileSync(cdrFile, '');
    gw = GatewayProcess.start(configFile, TEST_ENV, HTTP_PORT, 'gateway-operations');
    await gw.readyz(200, 20_000);
    meta = await startMeta(bed.drachtio);
    await meta.connect();
    pbx = await startPbx(TEST_BED.pbx.host, bed.drachtio);
  }, 60_000);
  afterAll(async () => {
    for (const r of rtp.splice(0)) await r.close();
    await meta?.close();
    pbx?.close();
    await gw?.kill();
    await drachtio?.stop();
    await fs?.stop();
  });

  const fsChannels = () => channelCount(bed.freeswitch.host, bed.freeswitch.eslPort, bed.freeswitch.password);
  const calls = (status: number) => gw.metric(`wagw_calls_total{direction="user-initiated",status="${status}"}`);

  it('counts calls, outcomes, set-up times, auth failures and refusals in /metrics', async () => {
    const before = { ok: await calls(200), unknown: await gw.metric('wagw_admission_rejections_total{code="UNKNOWN_NUMBER",status="404"}'), auth: await gw.metric('wagw_auth_failures_total') };
    const c = await establishInbound(meta, pbx, rtp);
    expect(await gw.metric(`wagw_active_calls{direction="user-initiated",business_number="${BUSINESS}"}`)).toBe(1);
    await meta.request(meta.inDialog(c.metaDialog, 'BYE'));
    const unknown = meta.buildInvite({ business: '+19998887777', user: WA_USER, gatewayHost: TEST_BED.gatewayHostname, sdp: metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() }) });
    expect((await meta.request(unknown)).status).toBe(404);
    const bad = await metaInviteWithAuth(meta, metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() }), { password: 'wrong' });
    expect((await meta.waitResponse(bad.callId, bad.cseq, (s) => s >= 200)).msg.status).toBe(403);
    await until(async () => (await calls(200)) === before.ok + 1, 5000, 'call counted');
    expect(await gw.metric('wagw_admission_rejections_total{code="UNKNOWN_NUMBER",status="404"}')).toBe(before.unknown + 1);
    expect(await gw.metric('wagw_auth_failures_total')).toBe(before.auth + 1);
    expect(await gw.metric('wagw_call_setup_seconds_count{direction="user-initiated"}')).toBeGreaterThanOrEqual(1);
    expect(await gw.metric(`wagw_active_calls{direction="user-initiated",business_number="${BUSINESS}"}`)).toBe(0);
    expect(await gw.metric('wagw_media_servers_up')).toBe(1);
  });

  /** a new Meta call reaches the PBX at `extension`; the PBX refuses it (busy) */
  async function expectNextCallRingsAt(extension: string): Promise<void> {
    const attempt = await metaInviteWithAuth(meta, metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() }));
    const inv = await pbx.nextInvite();
    expect(inv.msg.uri).toMatch(new RegExp(`^sip:${extension}@`));
    pbx.reject(inv, 486, 'Busy Here');
    await meta.waitResponse(attempt.callId, attempt.cseq, (s) => s >= 200);
  }

  it('SIGHUP: the next call follows a changed route, the active call is untouched; a broken file is refused', async () => {
    const active = await establishInbound(meta, pbx, rtp);
    writeFileSync(configFile, yaml('2002'));
    gw.signal('SIGHUP');
    await until(() => gw.log().includes('configuration reloaded'), 5000, 'reload logged');
    await expectNextCallRingsAt('2002');

    writeFileSync(configFile, 'numbers: [this is: not valid');
    gw.signal('SIGHUP');
    await until(() => gw.log().includes('reload refused'), 5000, 'refusal logged');
    await expectNextCallRingsAt('2002');

    // the call made before the reload still works end to end
    expect((await meta.request(meta.inDialog(active.metaDialog, 'BYE'))).status).toBe(200);
    await pbx.waitRequest('BYE', header(active.inv.msg, 'Call-ID')!);
    writeFileSync(configFile, yaml());
    gw.signal('SIGHUP');
  });

  it('FreeSWITCH stopped mid-call: both legs get a BYE within 5 s, /readyz and /metrics say so, calls work again after a restart', async () => {
    const c = await establishInbound(meta, pbx, rtp);
    const stoppedAt = Date.now();
    fs.proc.kill('SIGKILL');
    await Promise.all([meta.waitRequest('BYE', c.attempt.callId, 5000), pbx.waitRequest('BYE', header(c.inv.msg, 'Call-ID')!, 5000)]);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    await gw.readyz(503, 5000);
    expect(await gw.metric('wagw_media_servers_up')).toBe(0);
    await until(() => /"cause":"media-server-(lost|ended)/.test(readCdr()), 5000, 'CDR with the cause');
    expect(await calls(503) + (await calls(200))).toBeGreaterThan(0);

    fs = await startFreeswitch(bins.freeswitch!, bed.freeswitch, 'freeswitch-spare');
    await gw.readyz(200, 20_000);
    const again = await establishInbound(meta, pbx, rtp);
    expect((await meta.request(meta.inDialog(again.metaDialog, 'BYE'))).status).toBe(200);
    await pbx.waitRequest('BYE', header(again.inv.msg, 'Call-ID')!);
    await until(async () => (await fsChannels()) === 0, 5000, 'no channel left');
  }, 60_000);

  it('drachtio-server stopped mid-call, then restarted: the call ends (channels killed, CDR says why), /readyz goes unready, then ready, and the next call succeeds', async () => {
    const c = await establishInbound(meta, pbx, rtp);
    await until(async () => (await fsChannels()) === 2, 3000, 'the call\'s two channels');
    await drachtio.stop();
    await gw.readyz(503, 10_000);
    // its dialogs died with drachtio-server: no BYE can be sent, but nothing stays half-open
    await until(async () => (await fsChannels()) === 0, 5000, 'FreeSWITCH channels killed');
    await until(async () => (await gw.metricSum('wagw_active_calls')) === 0, 5000, 'no active call');
    await until(() => readCdr().includes(`"meta_call_id":"${c.attempt.callId}"`), 5000, 'CDR written');
    expect(readCdr()).toMatch(new RegExp(`"meta_call_id":"${c.attempt.callId}"[^\n]*"cause":"drachtio-lost"`));
    drachtio = await startDrachtio(bins.drachtio!, testBed!.certs.gateway, bed.drachtio, 'drachtio-spare');
    await gw.readyz(200, 20_000);
    await meta.close();
    meta = await startMeta(bed.drachtio);
    await meta.connect();
    const next = await establishInbound(meta, pbx, rtp);
    expect((await meta.request(meta.inDialog(next.metaDialog, 'BYE'))).status).toBe(200);
    await pbx.waitRequest('BYE', header(next.inv.msg, 'Call-ID')!);
    await until(async () => (await fsChannels()) === 0, 5000, 'no channel left');
  }, 60_000);

  it('SIGTERM with 3 calls: new calls get 503, the 3 go on until hung up, then the process exits 0', async () => {
    const active: Awaited<ReturnType<typeof establishInbound>>[] = [];
    for (let i = 0; i < 3; i++) active.push(await establishInbound(meta, pbx, rtp));
    gw.signal('SIGTERM');
    await until(() => gw.log().includes('draining'), 5000, 'draining');
    const late = meta.buildInvite({ business: BUSINESS, user: WA_USER, gatewayHost: TEST_BED.gatewayHostname, sdp: metaOffer({ ip: TEST_BED.meta.host, port: 40000, keyB64: newSdesKey() }) });
    const refused = await meta.request(late);
    expect(refused.status).toBe(503);
    expect(header(refused, 'Retry-After')).toBe('60');
    await new Promise((r) => setTimeout(r, 1000));
    expect(pbx.requests('BYE').filter((m) => active.some((c) => header(c.inv.msg, 'Call-ID') === header(m, 'Call-ID')))).toHaveLength(0);
    expect(await fsChannels()).toBe(6);
    for (const c of active) expect((await meta.request(meta.inDialog(c.metaDialog, 'BYE'))).status).toBe(200);
    expect(await gw.exited(10_000)).toBe(0);
    await until(async () => (await fsChannels()) === 0, 5000, 'no channel left');
  }, 60_000);

  function readCdr(): string {
    return readFileSync(cdrFile, 'utf8');
  }
});
