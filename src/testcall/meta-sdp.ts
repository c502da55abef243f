import { isIPv6 } from 'node:net';
import { parseCrypto } from './media/srtp-keys';

/**
 * Meta's SDP for `test-call` (SPEC M10, after the traces in meta-docs): one audio stream,
 * RTP/SAVP with an SDES key (AES_CM_128_HMAC_SHA1_80), Opus 48 kHz with Meta's fmtp,
 * telephone-event/8000, ptime 20, rtcp-mux, one SSRC; and what the gateway's answer says.
 * The test peers send the same offer with the traces' WebRTC stream id (`msid`).
 */

export interface MetaOfferParams {
  ip: string;
  port: number;
  keyB64: string;
  opusPt?: number;
  dtmfPt?: number;
  ssrc: number;
  /** the o= line's session id and address; default: now, and `ip` */
  origin?: { sessionId: string; ip: string };
  /** the traces' stream id: `a=msid-semantic`, `a=msid` and their `a=rtcp:9` line with it; test-call sends none */
  msid?: string;
}

/** an address's family as SDP writes it (c=, o=) */
export const family = (ip: string) => (isIPv6(ip) ? 'IP6' : 'IP4');

/** Meta's Opus parameters, as in every offer and answer of the traces */
export const META_OPUS_FMTP = 'maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1';

/** the lines Meta's audio section ends with: telephone-event, ptime 20 (max 20), its one SSRC */
export const metaAudioTail = (dtmf: number, ssrc: number): string[] =>
  [`a=rtpmap:${dtmf} telephone-event/8000`, 'a=maxptime:20', 'a=ptime:20', `a=ssrc:${ssrc} cname:WhatsAppAudioStream1`];

export function metaOffer(o: MetaOfferParams): string {
  const opus = o.opusPt ?? 111;
  const dtmf = o.dtmfPt ?? 126;
  const origin = o.origin ?? { sessionId: String(Date.now()), ip: o.ip };
  const msid = o.msid;
  return [
    'v=0',
    `o=- ${origin.sessionId} 2 IN ${family(origin.ip)} ${origin.ip}`,
    's=-',
    't=0 0',
    'a=group:BUNDLE audio',
    ...(msid ? [`a=msid-semantic: WMS ${msid}`] : []),
    `m=audio ${o.port} RTP/SAVP ${opus} ${dtmf}`,
    `c=IN ${family(o.ip)} ${o.ip}`,
    ...(msid ? ['a=rtcp:9 IN IP4 0.0.0.0'] : []),
    'a=mid:audio',
    'a=sendrecv',
    ...(msid ? [`a=msid:${msid} WhatsAppTrack1`] : []),
    'a=rtcp-mux',
    `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${o.keyB64}`,
    `a=rtpmap:${opus} opus/48000/2`,
    `a=fmtp:${opus} ${META_OPUS_FMTP}`,
    ...metaAudioTail(dtmf, o.ssrc),
    '',
  ].join('\r\n');
}

export interface AnsweredMedia {
  ip: string;
  port: number;
  /** the answer's SDES key, null when it has none */
  keyB64: string | null;
  suite: string | null;
  profile: string;
  /** payload types the answer kept for opus and telephone-event */
  opusPt: number | null;
  dtmfPt: number | null;
}

/** what the gateway's SDP answer offers us, or a sentence saying why it is unusable */
export function answeredMedia(sdp: string): AnsweredMedia | string {
  const m = /^m=audio (\d+) (\S+) ([\d ]+)/m.exec(sdp);
  const c = /^c=IN IP[46] (\S+)/m.exec(sdp);
  if (!m || !c) return 'the SDP answer has no audio stream with an address';
  const crypto = parseCrypto(sdp);
  const pt = (name: string) => {
    const r = new RegExp(`^a=rtpmap:(\\d+) ${name}/`, 'mi').exec(sdp);
    return r ? Number(r[1]) : null;
  };
  return { ip: c[1]!, port: Number(m[1]), keyB64: crypto?.keyB64 ?? null, suite: crypto?.suite ?? null, profile: m[2]!, opusPt: pt('opus'), dtmfPt: pt('telephone-event') };
}
