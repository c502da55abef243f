import { parseDtlsSdp, type RemoteDtlsSdp } from './dtls-sdp';
import { DtlsMediaPeer } from './media/dtls-peer';
import { RtpPeer } from './media/rtp-peer';
import { newSdesKey, parseCrypto } from './media/srtp-keys';
import { answeredMedia, META_OPUS_FMTP, metaOffer, type AnsweredMedia } from './meta-sdp';
import type { KeyExchangeReport } from './report';

/**
 * Meta's media edge for `test-call`, in either of Meta's key exchanges (SPEC M10): SDES
 * (`a=crypto` in the SDP, RTP/SAVP) or DTLS-SRTP with ICE-lite (UDP/TLS/RTP/SAVPF; Meta is
 * the DTLS server and ICE-lite, so the gateway's side must be DTLS client and ICE
 * controlling). Either way `rtp` is the RtpPeer that sends the tone and DTMF and records
 * what comes back; `keyed()` says when SRTP can flow.
 */
export type KeyExchange = 'sdes' | 'dtls';

export interface MetaMedia {
  readonly keyExchange: KeyExchange;
  readonly rtp: RtpPeer;
  /** takes the gateway's SDP answer (user-initiated call): a sentence when it is unusable */
  takeAnswer(sdp: string): string | null;
  /** resolves with null once SRTP is keyed, or with why it is not after `timeoutMs` */
  keyed(timeoutMs: number): Promise<string | null>;
  /** the report's key-exchange line; times after `since` (the 200 OK) */
  summary(since: number): KeyExchangeReport;
  close(): Promise<void>;
}

/** the key exchange an SDP offer or answer uses, or null for neither */
export function keyExchangeOf(sdp: string): KeyExchange | null {
  const proto = /^m=audio \d+ (\S+)/m.exec(sdp)?.[1];
  if (proto === 'UDP/TLS/RTP/SAVPF' && /^a=fingerprint:/m.test(sdp)) return 'dtls';
  if (proto === 'RTP/SAVP' && parseCrypto(sdp)) return 'sdes';
  return null;
}

class SdesMedia implements MetaMedia {
  readonly keyExchange = 'sdes';
  constructor(readonly rtp: RtpPeer, private readonly keyB64: string, private readonly suite: string | null) {}

  offer(): string {
    return metaOffer({ ip: this.rtp.host, port: this.rtp.port, keyB64: this.keyB64, ssrc: this.rtp.ssrc });
  }

  takeAnswer(sdp: string): string | null {
    const media = answeredMedia(sdp);
    if (typeof media === 'string') return media;
    if (!media.keyB64) return 'the answer has no SDES key (a=crypto)';
    this.rtp.setSrtpRemoteKey(media.keyB64);
    this.rtp.setRemote(media.ip, media.port);
    return null;
  }

  async keyed(): Promise<string | null> {
    return null;
  }

  summary(): KeyExchangeReport {
    return { method: 'sdes', suite: this.suite };
  }

  close(): Promise<void> {
    return this.rtp.close();
  }
}

class DtlsMedia implements MetaMedia {
  readonly keyExchange = 'dtls';
  constructor(private readonly peer: DtlsMediaPeer) {}

  get rtp(): RtpPeer {
    return this.peer.rtp;
  }

  offer(): string {
    return this.peer.offer();
  }

  takeAnswer(sdp: string): string | null {
    let remote: RemoteDtlsSdp;
    try {
      remote = parseDtlsSdp(sdp);
    } catch {
      return 'the SDP answer has no audio stream';
    }
    const problem = dtlsProblem(remote, ['active'], 'answer');
    if (problem) return problem;
    this.peer.acceptAnswer(sdp);
    return null;
  }

  async keyed(timeoutMs: number): Promise<string | null> {
    try {
      await this.peer.connected(timeoutMs);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  summary(since: number): KeyExchangeReport {
    const { dtls, ice, remote } = this.peer;
    return {
      method: 'dtls',
      suite: dtls.profile,
      dtls: {
        setup: remote?.setup ?? null,
        completedMs: dtls.connectedAt === null ? null : dtls.connectedAt - since,
        failure: dtls.failure,
        iceChecks: ice.checks.length,
        iceControlling: ice.checks.length > 0 && ice.checks.every((c) => c.controlling && !c.controlled),
        useCandidate: ice.checks.some((c) => c.useCandidate),
      },
    };
  }

  close(): Promise<void> {
    return this.peer.close();
  }
}

/** what keeps a DTLS SDP from the gateway from working with Meta's ICE-lite DTLS server */
function dtlsProblem(r: RemoteDtlsSdp, setups: string[], what: 'answer' | 'offer'): string | null {
  if (r.proto !== 'UDP/TLS/RTP/SAVPF') return `the ${what} is ${r.proto}, not UDP/TLS/RTP/SAVPF (DTLS-SRTP)`;
  if (!r.fingerprint) return `the ${what} has no a=fingerprint`;
  if (!r.ufrag || !r.pwd) return `the ${what} has no ICE credentials (a=ice-ufrag / a=ice-pwd)`;
  if (!r.setup || !setups.includes(r.setup)) return `the ${what} says a=setup:${r.setup ?? '(none)'}; Meta is DTLS server, so it must be ${setups.join(' or ')}`;
  if (r.opusPt === null) return `the ${what} has no opus/48000`;
  return null;
}

/** Meta's side of a user-initiated call: the media and its offer */
export async function offerMedia(keyExchange: KeyExchange, host: string): Promise<{ media: MetaMedia; offer: string }> {
  if (keyExchange === 'dtls') {
    const peer = await DtlsMediaPeer.open({ host, payloadType: 111, dtmfPayloadType: 126 });
    const media = new DtlsMedia(peer);
    return { media, offer: media.offer() };
  }
  const key = newSdesKey();
  const media = new SdesMedia(await RtpPeer.open({ host, codec: 'OPUS', payloadType: 111, dtmfPayloadType: 126, srtp: { localKeyB64: key } }), key, 'AES_CM_128_HMAC_SHA1_80');
  return { media, offer: media.offer() };
}

/**
 * Meta's side of a business-initiated call: the media and Meta's answer to the gateway's
 * offer (SDES on the offer's payload types, or DTLS `a=setup:passive` and ICE-lite), or a
 * sentence saying why Meta would refuse the offer.
 */
export async function answerMedia(offer: string, host: string, expected?: KeyExchange): Promise<{ media: MetaMedia; answer: string; target: AnsweredMedia } | string> {
  const kind = keyExchangeOf(offer);
  const target = answeredMedia(offer);
  if (!kind || typeof target === 'string' || target.opusPt === null) return 'the offer is neither SDES-SRTP nor DTLS-SRTP Opus';
  if (expected && kind !== expected) return `the offer uses ${kind.toUpperCase()}, but --srtp says the number is ${expected.toUpperCase()} at Meta`;
  const dtmf = target.dtmfPt ?? 126;
  if (kind === 'dtls') {
    const remote = parseDtlsSdp(offer);
    const problem = dtlsProblem(remote, ['actpass', 'active'], 'offer');
    if (problem) return problem;
    const peer = await DtlsMediaPeer.open({ host, payloadType: target.opusPt, dtmfPayloadType: dtmf });
    return { media: new DtlsMedia(peer), answer: peer.answer(offer), target };
  }
  const offered = parseCrypto(offer)!;
  const key = newSdesKey();
  const rtp = await RtpPeer.open({ host, codec: 'OPUS', payloadType: target.opusPt, dtmfPayloadType: dtmf, srtp: { localKeyB64: key } });
  rtp.setSrtpRemoteKey(offered.keyB64);
  rtp.setRemote(target.ip, target.port);
  return { media: new SdesMedia(rtp, key, offered.suite), answer: sdesAnswer(host, rtp, target.opusPt, dtmf, key), target };
}

function sdesAnswer(ip: string, rtp: RtpPeer, opus: number, dtmf: number, keyB64: string): string {
  return ['v=0', `o=- ${Date.now()} 1 IN IP4 ${ip}`, 's=-', 't=0 0', `m=audio ${rtp.port} RTP/SAVP ${opus} ${dtmf}`, `c=IN IP4 ${ip}`,
    'a=sendrecv', 'a=rtcp-mux', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${keyB64}`, `a=rtpmap:${opus} opus/48000/2`,
    `a=fmtp:${opus} ${META_OPUS_FMTP}`,
    `a=rtpmap:${dtmf} telephone-event/8000`, 'a=ptime:20', `a=ssrc:${rtp.ssrc} cname:WhatsAppAudioStream1`, ''].join('\r\n');
}
