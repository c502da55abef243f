import { isIPv6 } from 'node:net';
import { parseCrypto } from './media/srtp-keys';

/**
 * Meta's SDP for `test-call` (SPEC M10, after the traces in meta-docs): one audio stream,
 * RTP/SAVP with an SDES key (AES_CM_128_HMAC_SHA1_80), Opus 48 kHz with Meta's fmtp,
 * telephone-event/8000, ptime 20, rtcp-mux, one SSRC; and what the gateway's answer says.
 */

export function metaOffer(o: { ip: string; port: number; keyB64: string; opusPt?: number; dtmfPt?: number; ssrc: number }): string {
  const opus = o.opusPt ?? 111;
  const dtmf = o.dtmfPt ?? 126;
  const family = isIPv6(o.ip) ? 'IP6' : 'IP4';
  return [
    'v=0',
    `o=- ${Date.now()} 2 IN ${family} ${o.ip}`,
    's=-',
    't=0 0',
    'a=group:BUNDLE audio',
    `m=audio ${o.port} RTP/SAVP ${opus} ${dtmf}`,
    `c=IN ${family} ${o.ip}`,
    'a=mid:audio',
    'a=sendrecv',
    'a=rtcp-mux',
    `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${o.keyB64}`,
    `a=rtpmap:${opus} opus/48000/2`,
    `a=fmtp:${opus} maxaveragebitrate=20000;maxplaybackrate=16000;minptime=20;sprop-maxcapturerate=16000;useinbandfec=1`,
    `a=rtpmap:${dtmf} telephone-event/8000`,
    'a=maxptime:20',
    'a=ptime:20',
    `a=ssrc:${o.ssrc} cname:WhatsAppAudioStream1`,
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
