import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RtpPeer } from '../support/media/rtp-peer';
import { newSdesKey, parseCrypto } from '../support/media/srtp-keys';
import { dominantTone } from '../support/media/tone';
import { GraphApi, permissionAnswer } from '../support/graph-api';
import { mediaTarget, metaOffer, pbxSdp } from '../support/sdp';
import { header, headerAll, randomToken, type SipMessage } from '../support/sip/message';
import { SipPeer } from '../support/sip/peer';
import { RUN_DIR, TEST_BED } from '../support/servers';
import { BUSINESS, cdrLines, expectClean, gatewayYaml, startGateway, startMeta, startPbx, testBed, until, useCallBed, type CallBed } from './harness';

/**
 * Issue 15, acceptance 1-5: an agent's call and Meta's call permissions, on the real
 * drachtio-server and FreeSWITCH, with a local HTTP server playing the Graph API (loopback)
 * beside the Meta and PBX emulators. The business number has call_permissions (requests on).
 */
const PHONE_NUMBER_ID = '106540352242922';
const TOKEN = 'EAAG-integration-graph-token-42';
const HTTP_PORT = 18095;
const GET_PATH = `/v21.0/${PHONE_NUMBER_ID}/call_permissions`;
const POST_PATH = `/v21.0/${PHONE_NUMBER_ID}/messages`;

function permissionYaml(graphUrl: string, tokenFile: string): string {
  return gatewayYaml()
    .replace('http:\n  port: 0', `http:\n  port: ${HTTP_PORT}`)
    .replace('    country_rule: allow\n', `    country_rule: allow
    call_permissions:
      phone_number_id: "${PHONE_NUMBER_ID}"
      token_file: ${tokenFile}
      graph_url: ${graphUrl}
      timeout_ms: 500
      cache_seconds: 30
      request_permission: true
      request_text: "Allow us to call you so we can support you with your order."
`);
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${HTTP_PORT}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe.skipIf(!testBed)("an agent's call and Meta's call permissions (Graph API emulated on loopback)", () => {
  const bed = { rtp: [] as RtpPeer[] } as CallBed;
  let graph: GraphApi;
  /** each test dials its own user, so the gateway's cache of one test never answers another */
  const users = new Map<string, string>();
  const user = (name: string) => users.get(name) ?? users.set(name, `+4477009${String(users.size + 10).padStart(5, '0')}`).get(name)!;
  const getsFor = (u: string) => graph.to('GET', GET_PATH).filter((s) => s.url.endsWith(`user_wa_id=${u.slice(1)}`));
  const invitesAtMeta = (u: string) => bed.meta.requests('INVITE').filter((m) => m.uri?.startsWith(`sip:${u}@`));

  beforeAll(async () => {
    graph = await GraphApi.start('127.0.0.30');
    const tokenFile = join(RUN_DIR, 'gateway', 'call-permission.token');
    mkdirSync(join(RUN_DIR, 'gateway'), { recursive: true }); // this file may run first
    writeFileSync(tokenFile, `${TOKEN}\n`);
    bed.gw = await startGateway('call-permission', permissionYaml(graph.url, tokenFile));
    bed.meta = await startMeta();
    await bed.meta.connect();
    bed.pbx = await startPbx();
  });
  afterEach(async () => {
    for (const r of bed.rtp.splice(0)) await r.close();
    graph.release();
    await expectClean(bed.gw);
  });
  afterAll(async () => {
    await bed.meta?.close();
    bed.pbx?.close();
    await bed.gw?.app.stop();
    await graph?.close();
  });

  /** the agent dials `u`; returns the PBX's INVITE and its RTP peer */
  async function dial(u: string) {
    const pbxRtp = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
    bed.rtp.push(pbxRtp);
    const invite = bed.pbx.buildInvite(u, pbxSdp({ ip: TEST_BED.pbx.host, port: pbxRtp.port }));
    const sentAt = Date.now();
    bed.pbx.send(invite);
    return { invite, pbxRtp, sentAt, callId: header(invite, 'Call-ID')! };
  }

  const finalAtPbx = (invite: SipMessage) => bed.pbx.waitResponse(header(invite, 'Call-ID')!, 101, (s) => s >= 200);
  const cdrOf = async (pbxCallId: string) => {
    await until(() => cdrLines(bed.gw).some((c) => c.pbx_call_id === pbxCallId), 5000, 'the CDR');
    return cdrLines(bed.gw).find((c) => c.pbx_call_id === pbxCallId)!;
  };

  it('1. no permission: 403 with the plain-words Warning within 1 s, no INVITE at Meta, exactly one well-formed permission request', async () => {
    const u = user('no-permission');
    graph.answer = (r) => (r.method === 'POST'
      ? { status: 200, body: { messaging_product: 'whatsapp', contacts: [{ input: u, wa_id: u.slice(1) }], messages: [{ id: 'wamid.HBgLMTIz' }] } }
      : { status: 200, body: permissionAnswer({ status: 'no_permission', startCall: false }) });
    const c = await dial(u);
    const final = await finalAtPbx(c.invite);
    expect(final.at - c.sentAt).toBeLessThan(1000);
    expect(final.msg.status).toBe(403);
    expect(final.msg.reason).toBe('No Call Permission');
    const warning = `399 ${TEST_BED.gatewayHostname} "the WhatsApp user has not allowed calls from this business number; a call permission request was sent to the user: call again once they accept"`;
    expect(header(final.msg, 'Warning')).toBe(warning);
    expect(getsFor(u)).toHaveLength(1);
    expect(getsFor(u)[0]!.authorization).toBe(`Bearer ${TOKEN}`);
    const posts = graph.to('POST', POST_PATH);
    expect(posts).toHaveLength(1);
    expect(posts[0]).toMatchObject({ authorization: `Bearer ${TOKEN}`, contentType: 'application/json' });
    expect(JSON.parse(posts[0]!.body)).toEqual({
      messaging_product: 'whatsapp', recipient_type: 'individual', to: u, type: 'interactive',
      interactive: { type: 'call_permission_request', action: { name: 'call_permission_request' }, body: { text: 'Allow us to call you so we can support you with your order.' } },
    });
    expect(await cdrOf(c.callId)).toMatchObject({ direction: 'business-initiated', ended_by: 'gateway', cause: 'no-call-permission', sip_status: 403, meta_warning: warning, whatsapp_user: u });
    expect(invitesAtMeta(u)).toHaveLength(0); // the CDR is written once the call is over: nothing can follow
    expect(await metric('wagw_agent_call_refusals_total{reason="no-call-permission",by="gateway"}')).toBe(1);
    expect(await metric('wagw_call_permission_requests_total{result="sent"}')).toBe(1);
    expect(readFileSync(bed.gw.logFile, 'utf8')).not.toContain(TOKEN);
  });

  it('2. temporary permission: the call goes through to Meta as today, tones both ways', async () => {
    const u = user('temporary');
    graph.answer = () => ({ status: 200, body: permissionAnswer({ status: 'temporary', expiresAt: Math.floor(Date.now() / 1000) + 7 * 86400 }) });
    const c = await dial(u);
    const first = await bed.meta.nextInvite();
    expect(first.msg.uri).toBe(`sip:${u}@wa.meta.vc;transport=tls`);
    bed.meta.challenge(first, randomToken('n'));
    const second = await bed.meta.nextInvite();
    // Meta answers with SDES Opus, as its traces have it
    const offer = second.msg.body;
    const metaKey = newSdesKey();
    const opusPt = Number(/a=rtpmap:(\d+) opus\/48000\/2/.exec(offer)?.[1]);
    const metaRtp = await RtpPeer.open({ host: TEST_BED.meta.host, codec: 'OPUS', payloadType: opusPt, dtmfPayloadType: 101, srtp: { localKeyB64: metaKey } });
    bed.rtp.push(metaRtp);
    metaRtp.setSrtpRemoteKey(parseCrypto(offer)!.keyB64);
    const target = mediaTarget(offer);
    metaRtp.setRemote(target.ip, target.port);
    const metaDialog = bed.meta.answerWith(second, metaOffer({ ip: TEST_BED.meta.host, port: metaRtp.port, keyB64: metaKey, opusPt, dtmfPt: 101 }), bed.meta.contact(u));
    const ok = await finalAtPbx(c.invite);
    expect(ok.msg.status).toBe(200);
    bed.pbx.ack2xx(SipPeer.uacDialog(c.invite, ok.msg), 101);
    const fs = mediaTarget(ok.msg.body);
    c.pbxRtp.setRemote(fs.ip, fs.port);
    c.pbxRtp.startTone(1000);
    metaRtp.startTone(600);
    await new Promise((r) => setTimeout(r, 2000)); // audio for 2 s, then decoded on each side
    const atMeta = metaRtp.receivedPcm();
    const atPbx = c.pbxRtp.receivedPcm();
    expect(dominantTone(atMeta.subarray(atMeta.length / 3), metaRtp.sampleRate, [600, 1000])).toMatchObject({ freq: 1000 });
    expect(dominantTone(atPbx.subarray(atPbx.length / 3), c.pbxRtp.sampleRate, [600, 1000])).toMatchObject({ freq: 600 });
    expect(metaRtp.authFailures).toBe(0);
    metaDialog.routes = [];
    bed.meta.send(bed.meta.inDialog(metaDialog, 'BYE'));
    await bed.pbx.waitRequest('BYE', c.callId);
    expect(getsFor(u)).toHaveLength(1);
    expect(graph.to('POST', POST_PATH)).toHaveLength(1); // only test 1's
  });

  it('3. the start_call limit reached: 403 naming the time the limit lifts', async () => {
    const u = user('limit');
    const lifts = Math.floor(Date.now() / 1000) + 3 * 3600;
    graph.answer = () => ({ status: 200, body: permissionAnswer({ status: 'temporary', startCall: false, startLimit: { max: 10, used: 10, liftsAt: lifts } }) });
    const c = await dial(u);
    const final = await finalAtPbx(c.invite);
    expect(final.msg.status).toBe(403);
    expect(final.msg.reason).toBe('Call Limit Reached');
    const when = `${new Date(lifts * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
    expect(header(final.msg, 'Warning')).toBe(`399 ${TEST_BED.gatewayHostname} "the limit of connected calls from this business number to this WhatsApp user is reached (10 per 24 h); calls are possible again from ${when}"`);
    expect(await cdrOf(c.callId)).toMatchObject({ cause: 'call-limit', ended_by: 'gateway', sip_status: 403 });
    expect(invitesAtMeta(u)).toHaveLength(0);
    expect(graph.to('POST', POST_PATH)).toHaveLength(1); // no permission request for a limit
  });

  it.each([
    ['slow (no answer within timeout_ms)', 'timeout', () => 'hold' as const],
    ['erroring (HTTP 503)', 'http-503', () => ({ status: 503, body: { error: { message: 'Service temporarily unavailable', code: 2 } } })],
  ])('4. the Graph API %s: the call goes to Meta; a log line and a metric say so', async (_what, why, reply) => {
    const u = user(`down-${why}`);
    graph.answer = reply;
    const before = await metric(`wagw_call_permission_checks_total{result="unchecked",reason="${why}"}`);
    const c = await dial(u);
    const first = await bed.meta.nextInvite(5000);
    expect(first.msg.uri).toBe(`sip:${u}@wa.meta.vc;transport=tls`);
    expect(first.at - c.sentAt).toBeLessThan(1500); // timeout_ms is 500
    bed.meta.reject(first, 486, 'Busy Here');
    expect((await finalAtPbx(c.invite)).msg.status).toBe(486);
    expect(await metric(`wagw_call_permission_checks_total{result="unchecked",reason="${why}"}`)).toBe(before + 1);
    const lines = readFileSync(bed.gw.logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.msg === 'call permission check failed: the call goes to Meta unchecked' && l.why === why)).toMatchObject([
      { level: 40, business: BUSINESS, source: PHONE_NUMBER_ID },
    ]);
    expect(getsFor(u)).toHaveLength(1);
  });

  it('5. the same user dialled twice within the cache time: one Graph API request', async () => {
    const u = user('twice');
    graph.answer = () => ({ status: 200, body: permissionAnswer({ status: 'permanent' }) });
    for (let i = 0; i < 2; i++) {
      const c = await dial(u);
      const inv = await bed.meta.nextInvite();
      bed.meta.reject(inv, 486, 'Busy Here');
      expect((await finalAtPbx(c.invite)).msg.status).toBe(486);
      await expectClean(bed.gw);
    }
    expect(invitesAtMeta(u)).toHaveLength(2);
    expect(getsFor(u)).toHaveLength(1);
    expect(await metric('wagw_call_permission_checks_total{result="allow",reason="permanent"}')).toBe(2);
  });

  it("Meta's own refusal gets the same plain cause: our Warning first, Meta's after it; counted by Meta", async () => {
    const u = user('meta-refuses');
    graph.answer = () => ({ status: 200, body: permissionAnswer({ status: 'temporary' }) });
    const c = await dial(u);
    const inv = await bed.meta.nextInvite();
    const metaWarning = '399 wa.meta.vc "No Approved Call Permission Found"';
    bed.meta.reject(inv, 403, 'Forbidden', [['Warning', metaWarning]]);
    const final = await finalAtPbx(c.invite);
    expect(final.msg.status).toBe(403);
    // two Warning values (drachtio-server's SIP stack puts each on its own line)
    expect(headerAll(final.msg, 'Warning')).toEqual([`399 ${TEST_BED.gatewayHostname} "the WhatsApp user has not allowed calls from this business number"`, metaWarning]);
    expect(await cdrOf(c.callId)).toMatchObject({ cause: 'no-call-permission', ended_by: 'meta', meta_warning: metaWarning });
    expect(await metric('wagw_agent_call_refusals_total{reason="no-call-permission",by="meta"}')).toBe(1);
  });
});

describe.skipIf(!testBed)('an agent call from a business number of a country where Meta offers no business-initiated calling', () => {
  const bed = useCallBed('country-rule', gatewayYaml().replace('    country_rule: allow\n', ''));

  it('the start-up log warns, and the call is refused with 403 and a plain-words Warning before anything is made', async () => {
    const warned = readFileSync(bed.gw.logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.level === 40 && typeof l.msg === 'string' && l.msg.startsWith(`business number ${BUSINESS}: Meta offers no business-initiated calling`));
    expect(warned).toHaveLength(1);
    const invite = bed.pbx.buildInvite('+447700900777', pbxSdp({ ip: TEST_BED.pbx.host, port: 40000 }));
    bed.pbx.send(invite);
    const final = await bed.pbx.waitResponse(header(invite, 'Call-ID')!, 101, (s) => s >= 200);
    expect(final.msg.status).toBe(403);
    expect(final.msg.reason).toBe('Business Calling Unavailable');
    expect(header(final.msg, 'Warning')).toBe(`399 ${TEST_BED.gatewayHostname} "Meta offers no business-initiated calls from business numbers of the USA or Canada (+1)"`);
    expect(bed.meta.requests('INVITE')).toHaveLength(0);
    expect(bed.gw.app.registry.size).toBe(0);
  });
});
