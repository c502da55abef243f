import { describe, expect, it } from 'vitest';
import { digestResponse, parseDigestHeader, type DigestAlgorithm } from '../../src/auth/digest';
import { RtpPeer } from '../support/media/rtp-peer';
import { newSdesKey, parseCrypto } from '../support/media/srtp-keys';
import { dominantTone } from '../support/media/tone';
import { mediaTarget, metaOffer, pbxSdp } from '../support/sdp';
import { header, headerAll, randomToken, tagOf, uriOf, type SipMessage } from '../support/sip/message';
import { SipPeer, type Received } from '../support/sip/peer';
import { TEST_BED } from '../support/servers';
import { BUSINESS, BUSINESS_PASSWORD, cdrLines, testBed, until, useCallBed } from './harness';

/**
 * Issue 3: an agent's call from the PBX to a WhatsApp user, through the real drachtio-server
 * and FreeSWITCH, to a Meta emulator that challenges like Meta (407, MD5 or SHA-256).
 */
describe.skipIf(!testBed)('business-initiated call: PBX → gateway → Meta', () => {
  const bed = useCallBed('outbound-call');
  const { rtp } = bed;
  const EDGE = `<sip:${TEST_BED.meta.host}:${TEST_BED.meta.listenPort};transport=tls;lr>`;
  const PROXY = '<sip:onevc-sip-proxy.fbinfra.net:8191;transport=tls;lr>';


  /** Meta's check of the credentialed INVITE; returns what was wrong, or null */
  function digestProblem(inv: SipMessage, nonce: string, algorithm: DigestAlgorithm, password: string): string | null {
    const d = parseDigestHeader(header(inv, 'Proxy-Authorization'));
    if (!d) return 'no Proxy-Authorization';
    const want = { username: BUSINESS.slice(1), realm: 'wa.meta.vc', nonce, uri: inv.uri, qop: 'auth', nc: '00000001', opaque: '440badfc05072367', algorithm };
    for (const [k, v] of Object.entries(want)) if (d[k] !== v) return `${k}=${d[k]} (want ${v})`;
    const expected = digestResponse({ algorithm, username: want.username, realm: want.realm, password, method: 'INVITE', uri: inv.uri!, nonce, qop: 'auth', nc: d.nc, cnonce: d.cnonce });
    return d.response === expected ? null : 'response does not match';
  }

  /** PBX INVITE → Meta 407 → credentialed INVITE; returns both INVITEs at Meta */
  async function placeAndChallenge(dialed: string, algorithm: DigestAlgorithm, pbxSrtpKey?: string) {
    const pbxRtp = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101, ...(pbxSrtpKey ? { srtp: { localKeyB64: pbxSrtpKey } } : {}) });
    rtp.push(pbxRtp);
    const pbxInvite = bed.pbx.buildInvite(dialed, pbxSdp({ ip: TEST_BED.pbx.host, port: pbxRtp.port, cryptoKeyB64: pbxSrtpKey }));
    bed.pbx.send(pbxInvite);
    const first = await bed.meta.nextInvite();
    const nonce = randomToken('n');
    bed.meta.challenge(first, nonce, algorithm);
    const second = await bed.meta.nextInvite();
    return { pbxRtp, pbxInvite, first: first.msg, second, nonce };
  }

  async function answerAtMeta(second: Received, user: string) {
    const offer = second.msg.body;
    const metaKey = newSdesKey();
    const opusPt = Number(/a=rtpmap:(\d+) opus\/48000\/2/.exec(offer)?.[1]);
    const metaRtp = await RtpPeer.open({ host: TEST_BED.meta.host, codec: 'OPUS', payloadType: opusPt, dtmfPayloadType: 101, srtp: { localKeyB64: metaKey } });
    rtp.push(metaRtp);
    metaRtp.setSrtpRemoteKey(parseCrypto(offer)!.keyB64);
    const target = mediaTarget(offer);
    metaRtp.setRemote(target.ip, target.port);
    const answer = metaOffer({ ip: TEST_BED.meta.host, port: metaRtp.port, keyB64: metaKey, opusPt, dtmfPt: 101 });
    // Meta's Record-Route as the UAS sends it: its route set for the gateway is edge, then proxy
    const dialog = bed.meta.answerWith(second, answer, bed.meta.contact(user), { recordRoute: [PROXY, EDGE] });
    return { metaRtp, dialog };
  }

  async function talk(pbxRtp: RtpPeer, metaRtp: RtpPeer): Promise<void> {
    pbxRtp.startTone(1000);
    metaRtp.startTone(600);
    await new Promise((r) => setTimeout(r, 2000));
    const atMeta = metaRtp.receivedPcm();
    const atPbx = pbxRtp.receivedPcm();
    expect(dominantTone(atMeta.subarray(atMeta.length / 3), metaRtp.sampleRate, [600, 1000])).toMatchObject({ freq: 1000 });
    expect(dominantTone(atPbx.subarray(atPbx.length / 3), pbxRtp.sampleRate, [600, 1000])).toMatchObject({ freq: 600 });
    expect(metaRtp.authFailures).toBe(0);
  }

  it('MD5: exact Request-URI and From, digest verified, Record-Route honoured, audio both ways, PBX BYE reaches Meta', async () => {
    const c = await placeAndChallenge('907700900123', 'MD5');
    // '9' + national number → E.164 with the PBX's country code; never an IP in the Request-URI
    expect(c.first.uri).toBe('sip:+447700900123@wa.meta.vc;transport=tls');
    expect(header(c.first, 'From')).toMatch(new RegExp(`^<sip:\\${BUSINESS}@gw\\.test>;tag=`));
    expect(header(c.first, 'Session-Expires')).toBeUndefined();
    expect(header(c.first, 'Require') ?? '').not.toMatch(/timer/);
    // SDES Opus offer, telephone-event/8000 only
    expect(c.first.body).toMatch(/^m=audio \d+ RTP\/SAVP \d+ \d+\r?$/m);
    expect(c.first.body).toMatch(/a=rtpmap:\d+ opus\/48000\/2/);
    expect(c.first.body).not.toMatch(/telephone-event\/48000/);
    expect(c.first.body.match(/a=crypto:/g)).toHaveLength(1);
    expect(c.first.body).toContain('AES_CM_128_HMAC_SHA1_80');
    // the retry: same Call-ID and From tag, CSeq+1, a digest Meta accepts
    expect(header(c.second.msg, 'Call-ID')).toBe(header(c.first, 'Call-ID'));
    expect(tagOf(header(c.second.msg, 'From'))).toBe(tagOf(header(c.first, 'From')));
    expect(Number(header(c.second.msg, 'CSeq')!.split(' ')[0])).toBe(Number(header(c.first, 'CSeq')!.split(' ')[0]) + 1);
    expect(digestProblem(c.second.msg, c.nonce, 'MD5', BUSINESS_PASSWORD)).toBeNull();

    const callId = header(c.second.msg, 'Call-ID')!;
    bed.meta.ring(c.second, 'ring1', bed.meta.contact('+447700900123'));
    await bed.pbx.waitResponse(header(c.pbxInvite, 'Call-ID')!, 101, (s) => s === 180);
    const { metaRtp } = await answerAtMeta(c.second, '+447700900123');
    // the gateway's ACK follows Meta's route set
    const okCseq = Number(header(c.second.msg, 'CSeq')!.split(' ')[0]);
    const ack = await bed.meta.wait((r) => r.msg.method === 'ACK' && header(r.msg, 'CSeq') === `${okCseq} ACK`, 5000, 'ACK for the 200 OK');
    expect(ack.msg.uri).toBe(uriOf(bed.meta.contact('+447700900123')));
    expect(headerAll(ack.msg, 'Route')).toEqual([EDGE, PROXY]);

    const ok = await bed.pbx.waitResponse(header(c.pbxInvite, 'Call-ID')!, 101, (s) => s >= 200);
    expect(ok.msg.status).toBe(200);
    const pbxDialog = SipPeer.uacDialog(c.pbxInvite, ok.msg);
    bed.pbx.ack2xx(pbxDialog, 101);
    const fs = mediaTarget(ok.msg.body);
    c.pbxRtp.setRemote(fs.ip, fs.port);
    await talk(c.pbxRtp, metaRtp);

    expect(await bed.pbx.request(bed.pbx.inDialog(pbxDialog, 'BYE'))).toMatchObject({ status: 200 });
    const bye = await bed.meta.waitRequest('BYE', callId);
    expect(headerAll(bye.msg, 'Route')).toEqual([EDGE, PROXY]);
    expect(bye.msg.uri).toBe(uriOf(bed.meta.contact('+447700900123')));
    await until(() => cdrLines(bed.gw).some((r) => r.meta_call_id === callId), 5000, 'CDR');
    expect(cdrLines(bed.gw).find((r) => r.meta_call_id === callId)).toMatchObject({
      direction: 'business-initiated', ended_by: 'pbx', sip_status: 200, business_number: BUSINESS, whatsapp_user: '+447700900123',
    });
  });

  it("an agent's SDES-SRTP offer is answered with SDES-SRTP, and audio flows both ways", async () => {
    const c = await placeAndChallenge('+12195550714', 'MD5', newSdesKey());
    const { metaRtp, dialog } = await answerAtMeta(c.second, '+12195550714');
    const ok = await bed.pbx.waitResponse(header(c.pbxInvite, 'Call-ID')!, 101, (s) => s >= 200);
    expect(ok.msg.status).toBe(200);
    expect(ok.msg.body).toMatch(/^m=audio \d+ RTP\/SAVP /m);
    const fsKey = parseCrypto(ok.msg.body);
    expect(fsKey?.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    const pbxDialog = SipPeer.uacDialog(c.pbxInvite, ok.msg);
    bed.pbx.ack2xx(pbxDialog, 101);
    c.pbxRtp.setSrtpRemoteKey(fsKey!.keyB64);
    const fs = mediaTarget(ok.msg.body);
    c.pbxRtp.setRemote(fs.ip, fs.port);
    await talk(c.pbxRtp, metaRtp);
    expect(c.pbxRtp.authFailures).toBe(0);
    expect(await bed.meta.request(bed.meta.inDialog(dialog, 'BYE'))).toMatchObject({ status: 200 });
    await bed.pbx.waitRequest('BYE', header(c.pbxInvite, 'Call-ID')!);
  });

  it('SHA-256: the challenge is answered with SHA-256, and BYE from Meta ends the PBX leg', async () => {
    const c = await placeAndChallenge('+12195550714', 'SHA-256');
    expect(c.first.uri).toBe('sip:+12195550714@wa.meta.vc;transport=tls');
    expect(digestProblem(c.second.msg, c.nonce, 'SHA-256', BUSINESS_PASSWORD)).toBeNull();
    const { metaRtp, dialog } = await answerAtMeta(c.second, '+12195550714');
    const ok = await bed.pbx.waitResponse(header(c.pbxInvite, 'Call-ID')!, 101, (s) => s >= 200);
    expect(ok.msg.status).toBe(200);
    bed.pbx.ack2xx(SipPeer.uacDialog(c.pbxInvite, ok.msg), 101);
    const fs = mediaTarget(ok.msg.body);
    c.pbxRtp.setRemote(fs.ip, fs.port);
    await talk(c.pbxRtp, metaRtp);
    // Meta hangs up; it sends straight to the gateway's Contact over its own connection
    dialog.routes = [];
    bed.meta.send(bed.meta.inDialog(dialog, 'BYE', [['x-wa-meta-call-duration', '2']]));
    await bed.pbx.waitRequest('BYE', header(c.pbxInvite, 'Call-ID')!);
  });

  it("gives the PBX Meta's 403 and its Warning, after ours in plain words, when Meta refuses our digest", async () => {
    const c = await placeAndChallenge('+12195550714', 'MD5');
    const problem = digestProblem(c.second.msg, c.nonce, 'MD5', 'the-password-meta-has');
    expect(problem).toBe('response does not match');
    const warning = '399 wa.meta.vc "Invalid digest: wrong SIP password for phone number"';
    bed.meta.reject(c.second, 403, 'Forbidden', [['Warning', warning]]);
    const final = await bed.pbx.waitResponse(header(c.pbxInvite, 'Call-ID')!, 101, (s) => s >= 200);
    expect(final.msg.status).toBe(403);
    expect(headerAll(final.msg, 'Warning')).toEqual([`399 gw.test "Meta refused the business number's SIP password (numbers[].sip_password_env)"`, warning]);
    const callId = header(c.second.msg, 'Call-ID')!;
    await until(() => cdrLines(bed.gw).some((r) => r.meta_call_id === callId), 5000, 'CDR');
    expect(cdrLines(bed.gw).find((r) => r.meta_call_id === callId)).toMatchObject({ sip_status: 403, meta_warning: warning, cause: 'bad-digest' });
  });

  for (const [status, reason] of [[486, 'Busy Here'], [480, 'Temporarily Unavailable'], [503, 'Service Unavailable']] as const) {
    it(`passes Meta's ${status} to the PBX`, async () => {
      const c = await placeAndChallenge('+12195550714', 'MD5');
      bed.meta.reject(c.second, status, reason);
      const final = await bed.pbx.waitResponse(header(c.pbxInvite, 'Call-ID')!, 101, (s) => s >= 200);
      expect(final.msg.status).toBe(status);
    });
  }

  it('CANCEL from the PBX while Meta rings: CANCEL to Meta, 487 both sides', async () => {
    const c = await placeAndChallenge('+12195550714', 'MD5');
    bed.meta.ring(c.second, 'ring2', bed.meta.contact('+12195550714'));
    await bed.pbx.waitResponse(header(c.pbxInvite, 'Call-ID')!, 101, (s) => s === 180);
    bed.pbx.cancel(c.pbxInvite);
    const final = await bed.pbx.waitResponse(header(c.pbxInvite, 'Call-ID')!, 101, (s) => s >= 200);
    expect(final.msg.status).toBe(487);
    await bed.meta.waitRequest('CANCEL', header(c.second.msg, 'Call-ID')!);
    // the emulator answered the CANCEL and sent 487 for the INVITE (auto-answer); the gateway ACKs it
    await bed.meta.waitRequest('ACK', header(c.second.msg, 'Call-ID')!);
  });
});
