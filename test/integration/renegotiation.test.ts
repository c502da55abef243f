import { describe, expect, it } from 'vitest';
import { RtpPeer } from '../support/media/rtp-peer';
import { newSdesKey, parseCrypto } from '../support/media/srtp-keys';
import { dominantTone } from '../support/media/tone';
import { mediaTarget, pbxSdp } from '../support/sdp';
import { header, responseTo } from '../support/sip/message';
import { TEST_BED } from '../support/servers';
import { establishInbound } from './flows';
import { gatewayYaml, testBed, useCallBed } from './harness';

/**
 * Issue 9, item 3 on the real servers: an SRTP PBX re-keys, holds and resumes, refreshes
 * the session with an UPDATE without SDP, and sends a re-INVITE without SDP whose answer (in
 * its ACK) moves its RTP port; audio flows both ways afterwards and Meta hears of none of it.
 */
describe.skipIf(!testBed)('renegotiation from an SRTP PBX', () => {
  const bed = useCallBed('renegotiation', gatewayYaml().replace('    codecs: [PCMU]\n', '    codecs: [PCMU]\n    srtp: true\n'));

  /** the tone each side decoded from what arrived after `since` (sample counts) */
  async function talk(pbx: RtpPeer, meta: RtpPeer): Promise<{ atPbx: number; atMeta: number }> {
    const since = { pbx: pbx.receivedPcm().length, meta: meta.receivedPcm().length };
    pbx.startTone(1000);
    meta.startTone(600);
    await new Promise((r) => setTimeout(r, 1500));
    const atPbx = pbx.receivedPcm().subarray(since.pbx + 4000);
    const atMeta = meta.receivedPcm().subarray(since.meta + meta.sampleRate / 2);
    return {
      atPbx: dominantTone(atPbx, 8000, [600, 1000]).freq,
      atMeta: dominantTone(atMeta, meta.sampleRate, [600, 1000]).freq,
    };
  }

  function origin(sdp: string): { session: string; version: bigint } {
    const m = /^o=\S+ (\S+) (\d+) /m.exec(sdp)!;
    return { session: m[1]!, version: BigInt(m[2]!) };
  }

  it('re-key, hold, resume, a refresh UPDATE and a re-INVITE without SDP answered from a new port: tones both ways afterwards, 0 SRTP auth failures, nothing to Meta', async () => {
    const c = await establishInbound(bed.meta, bed.pbx, bed.rtp);
    expect(await talk(c.pbxRtp, c.metaRtp)).toEqual({ atPbx: 600, atMeta: 1000 });
    const first = origin(c.inv.msg.body);
    const reinvite = (sdp: string) => bed.pbx.request(bed.pbx.inDialog(c.pbxDialog, 'INVITE', [['Content-Type', 'application/sdp'], ['Contact', bed.pbx.contact()]], sdp));

    // re-key: same address, a new SDES key of the PBX's
    await c.pbxRtp.close();
    const key = newSdesKey();
    // as a PBX does, it goes on decrypting with FreeSWITCH's key until the answer says otherwise
    const oldFsKey = parseCrypto(c.inv.msg.body)!.keyB64;
    const pbxRtp = await RtpPeer.open({ host: TEST_BED.pbx.host, port: c.pbxRtp.port, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101, srtp: { localKeyB64: key, remoteKeyB64: oldFsKey } });
    bed.rtp.push(pbxRtp);
    const rekeyed = await reinvite(pbxSdp({ ip: TEST_BED.pbx.host, port: pbxRtp.port, cryptoKeyB64: key }));
    expect(rekeyed.status).toBe(200);
    bed.pbx.ack2xx(c.pbxDialog, c.pbxDialog.cseq);
    const fsKey = parseCrypto(rekeyed.body)!;
    process.stdout.write(`MEASURED: re-key: FreeSWITCH ${fsKey.keyB64 === oldFsKey ? 'kept' : 'changed'} its own key\n`);
    pbxRtp.setSrtpRemoteKey(fsKey.keyB64);
    const fs = mediaTarget(rekeyed.body);
    pbxRtp.setRemote(fs.ip, fs.port);
    expect(origin(rekeyed.body).session).toBe(first.session);
    expect(origin(rekeyed.body).version).toBeGreaterThan(first.version);
    expect(await talk(pbxRtp, c.metaRtp)).toEqual({ atPbx: 600, atMeta: 1000 });

    // hold (sendonly → recvonly), then resume
    const hold = await reinvite(pbxSdp({ ip: TEST_BED.pbx.host, port: pbxRtp.port, cryptoKeyB64: key, direction: 'sendonly' }));
    expect(hold.status).toBe(200);
    expect(hold.body).toMatch(/a=recvonly/);
    bed.pbx.ack2xx(c.pbxDialog, c.pbxDialog.cseq);
    const resume = await reinvite(pbxSdp({ ip: TEST_BED.pbx.host, port: pbxRtp.port, cryptoKeyB64: key }));
    expect(resume.status).toBe(200);
    expect(resume.body).toMatch(/a=sendrecv/);
    bed.pbx.ack2xx(c.pbxDialog, c.pbxDialog.cseq);
    expect(origin(resume.body).version).toBeGreaterThan(origin(hold.body).version);
    pbxRtp.setSrtpRemoteKey(parseCrypto(resume.body)!.keyB64);
    expect(await talk(pbxRtp, c.metaRtp)).toEqual({ atPbx: 600, atMeta: 1000 });

    // a session refresh: UPDATE without SDP gets 200 without SDP (RFC 3311 §5.2)
    const refresh = await bed.pbx.request(bed.pbx.inDialog(c.pbxDialog, 'UPDATE', [['Contact', bed.pbx.contact()]]));
    expect(refresh.status).toBe(200);
    expect(refresh.body ?? '').toBe('');
    expect(await talk(pbxRtp, c.metaRtp)).toEqual({ atPbx: 600, atMeta: 1000 });

    // a re-INVITE without SDP (delayed offer): FreeSWITCH's SDP comes as our offer in the 200 OK,
    // and the PBX answers in its ACK from a new RTP port (RFC 3264 §4, RFC 3261 §14.1)
    await pbxRtp.close();
    const moved = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101, srtp: { localKeyB64: key, remoteKeyB64: parseCrypto(resume.body)!.keyB64 } });
    bed.rtp.push(moved);
    expect(moved.port).not.toBe(pbxRtp.port);
    const offerless = await bed.pbx.request(bed.pbx.inDialog(c.pbxDialog, 'INVITE', [['Contact', bed.pbx.contact()]]));
    expect(offerless.status).toBe(200);
    expect(offerless.body).toMatch(/a=crypto:/);
    expect(origin(offerless.body).session).toBe(first.session);
    bed.pbx.ack2xx(c.pbxDialog, c.pbxDialog.cseq, pbxSdp({ ip: TEST_BED.pbx.host, port: moved.port, cryptoKeyB64: key }));
    moved.setSrtpRemoteKey(parseCrypto(offerless.body)!.keyB64);
    const fsAt = mediaTarget(offerless.body);
    moved.setRemote(fsAt.ip, fsAt.port);
    expect(await talk(moved, c.metaRtp)).toEqual({ atPbx: 600, atMeta: 1000 });
    expect(moved.authFailures).toBe(0);

    // again, and the answer in the ACK carries a new SDES key: FreeSWITCH draws a new key of its own
    // for it, which the PBX learns in the gateway's re-INVITE
    await moved.close();
    const key2 = newSdesKey();
    const offerless2 = await bed.pbx.request(bed.pbx.inDialog(c.pbxDialog, 'INVITE', [['Contact', bed.pbx.contact()]]));
    expect(offerless2.status).toBe(200);
    const offeredKey = parseCrypto(offerless2.body)!.keyB64;
    const rekeyed2 = await RtpPeer.open({ host: TEST_BED.pbx.host, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101, srtp: { localKeyB64: key2, remoteKeyB64: offeredKey } });
    bed.rtp.push(rekeyed2);
    const fsAt2 = mediaTarget(offerless2.body);
    rekeyed2.setRemote(fsAt2.ip, fsAt2.port);
    const answer2 = pbxSdp({ ip: TEST_BED.pbx.host, port: rekeyed2.port, cryptoKeyB64: key2 });
    bed.pbx.ack2xx(c.pbxDialog, c.pbxDialog.cseq, answer2);
    const ours = await bed.pbx.wait((r) => r.msg.method === 'INVITE' && header(r.msg, 'Call-ID') === c.pbxDialog.callId && /tag=/.test(header(r.msg, 'To') ?? ''), 10_000, "the gateway's re-INVITE");
    const newFsKey = parseCrypto(ours.msg.body)!.keyB64;
    process.stdout.write(`MEASURED: answer with a new key in the ACK: FreeSWITCH ${newFsKey === offeredKey ? 'kept' : 'changed'} its own key\n`);
    expect(newFsKey).not.toBe(offeredKey);
    expect(origin(ours.msg.body).session).toBe(first.session);
    expect(origin(ours.msg.body).version).toBeGreaterThan(origin(offerless2.body).version);
    rekeyed2.setSrtpRemoteKey(newFsKey);
    ours.reply(responseTo(ours.msg, 200, 'OK', { headers: [['Contact', bed.pbx.contact()], ['Content-Type', 'application/sdp']], body: answer2 }));
    await bed.pbx.wait((r) => r.msg.method === 'ACK' && header(r.msg, 'Call-ID') === c.pbxDialog.callId, 10_000, "the gateway's ACK", ours.at);
    expect(await talk(rekeyed2, c.metaRtp)).toEqual({ atPbx: 600, atMeta: 1000 });
    expect(rekeyed2.authFailures).toBe(0);

    expect(pbxRtp.authFailures).toBe(0);
    expect(c.metaRtp.authFailures).toBe(0);
    const metaSaw = bed.meta.received.filter((r) => header(r.msg, 'Call-ID') === c.attempt.callId && ['INVITE', 'UPDATE'].includes(r.msg.method ?? '') && /tag=/.test(header(r.msg, 'To') ?? ''));
    expect(metaSaw).toHaveLength(0);
    expect((await bed.meta.request(bed.meta.inDialog(c.metaDialog, 'BYE'))).status).toBe(200);
    await bed.pbx.waitRequest('BYE', header(c.inv.msg, 'Call-ID')!);
  }, 40_000);
});
