import { isIPv6 } from 'node:net';
import { parse } from 'sdp-transform';
import { family, META_OPUS_FMTP, metaAudioTail } from './meta-sdp';

/**
 * SDP for Meta's DTLS-SRTP mode, shaped after the real offer in meta-docs
 * (sip-guide-excerpt-with-sample-messages.txt): session-level `a=ice-lite`,
 * `a=group:BUNDLE audio`, `UDP/TLS/RTP/SAVPF`, one host candidate per address family on
 * one port, ice-ufrag/pwd, fingerprint, `a=setup:actpass` (offer) or `passive` (answer),
 * rtcp-mux, opus/48000/2 and telephone-event/8000.
 */
export interface DtlsSdpParams {
  /** host candidates: the IPv4 one first (it goes in c= and m=), then an IPv6 one if any */
  candidates: { ip: string; port: number }[];
  ufrag: string;
  pwd: string;
  /** `sha-256 AB:CD:...` */
  fingerprint: string;
  opusPt?: number;
  dtmfPt?: number;
  ssrc: number;
  /** the answer's a=mid (the offer's); default `audio` */
  mid?: string;
}


function body(o: DtlsSdpParams, setup: 'actpass' | 'passive'): string {
  const opus = o.opusPt ?? 111;
  const dtmf = o.dtmfPt ?? 126;
  const mid = o.mid ?? 'audio';
  const first = o.candidates[0];
  if (!first) throw new Error('a DTLS SDP needs at least one candidate');
  // Meta's foundations and priorities: type preference 126 (host), IPv6 a little above IPv4
  const candidate = (c: { ip: string; port: number }, i: number) =>
    `a=candidate:${1775469887 + i} 1 udp ${isIPv6(c.ip) ? 2122262783 : 2122260223} ${c.ip} ${c.port} typ host generation 0 network-cost 50`;
  return [
    'v=0',
    `o=- ${Date.now()} 2 IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    `a=group:BUNDLE ${mid}`,
    'a=msid-semantic: WMS 632a909f-1060-4369-96a4-7bd03e291ee7',
    'a=ice-lite',
    `m=audio ${first.port} UDP/TLS/RTP/SAVPF ${opus} ${dtmf}`,
    `c=IN ${family(first.ip)} ${first.ip}`,
    'a=rtcp:9 IN IP4 0.0.0.0',
    ...o.candidates.map(candidate),
    `a=ice-ufrag:${o.ufrag}`,
    `a=ice-pwd:${o.pwd}`,
    `a=fingerprint:${o.fingerprint}`,
    `a=setup:${setup}`,
    `a=mid:${mid}`,
    'a=sendrecv',
    'a=msid:632a909f-1060-4369-96a4-7bd03e291ee7 WhatsAppTrack1',
    'a=rtcp-mux',
    `a=rtpmap:${opus} opus/48000/2`,
    `a=rtcp-fb:${opus} transport-cc`,
    `a=fmtp:${opus} ${META_OPUS_FMTP}`,
    ...metaAudioTail(dtmf, o.ssrc),
    '',
  ].join('\r\n');
}

/** Meta's offer to the business (a user-initiated call) */
export const metaDtlsOffer = (o: DtlsSdpParams): string => body(o, 'actpass');

/** Meta's answer to the gateway's offer (a business-initiated call): always passive */
export const metaDtlsAnswer = (o: DtlsSdpParams): string => body(o, 'passive');

/** what the other side's SDP says about ICE, DTLS and the audio formats */
export interface RemoteDtlsSdp {
  proto: string;
  iceLite: boolean;
  ufrag: string | null;
  pwd: string | null;
  /** `sha-256 AB:...`, media level first, else session level */
  fingerprint: string | null;
  setup: string | null;
  mid: string | null;
  rtcpMux: boolean;
  candidates: { ip: string; port: number; transport: string; type: string }[];
  connection: { ip: string; port: number } | null;
  opusPt: number | null;
  dtmfPt: number | null;
  hasCrypto: boolean;
}

export function parseDtlsSdp(sdp: string): RemoteDtlsSdp {
  const s = parse(sdp);
  const m = s.media.find((x) => x.type === 'audio');
  if (!m) throw new Error(`no audio m-line in SDP:\n${sdp}`);
  const fp = m.fingerprint ?? s.fingerprint;
  const pt = (name: string, rate: number) => m.rtp.find((r) => r.codec.toLowerCase() === name && r.rate === rate)?.payload ?? null;
  const ip = m.connection?.ip ?? s.connection?.ip;
  return {
    proto: m.protocol,
    iceLite: s.icelite === 'ice-lite',
    ufrag: String(m.iceUfrag ?? s.iceUfrag ?? '') || null,
    pwd: m.icePwd ?? s.icePwd ?? null,
    fingerprint: fp ? `${fp.type} ${fp.hash}` : null,
    setup: m.setup ?? s.setup ?? null,
    mid: m.mid !== undefined ? String(m.mid) : null,
    rtcpMux: m.rtcpMux === 'rtcp-mux',
    candidates: (m.candidates ?? []).map((c) => ({ ip: c.ip, port: c.port, transport: c.transport.toLowerCase(), type: c.type })),
    connection: ip ? { ip, port: m.port } : null,
    opusPt: pt('opus', 48000),
    dtmfPt: pt('telephone-event', 8000),
    hasCrypto: (m.crypto ?? []).length > 0,
  };
}
