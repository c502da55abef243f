import { parse } from 'sdp-transform';

/**
 * Meta's offer policy (SPEC M10): one audio stream, Opus, and SRTP keyed either by SDES
 * (`RTP/SAVP` + `a=crypto`) or, Meta's default, by DTLS (`UDP/TLS/RTP/SAVPF` + fingerprint +
 * ICE credentials; issue 11). A DTLS offer is taken only where `dtls` says the gateway has a
 * DTLS terminator (rtpengine); without one it means the number is not set to SDES at Meta.
 */
export type OfferCheck =
  | { ok: true; opusPt: number; dtmfPt: number | null; keyExchange: 'sdes' | 'dtls' }
  | { ok: false; kind: 'NO_SDP' | 'BAD_SDP' | 'DTLS_OFFER'; detail: string };

export function checkMetaOffer(sdp: string | undefined, opts: { dtls?: boolean } = {}): OfferCheck {
  if (!sdp?.trim()) return { ok: false, kind: 'NO_SDP', detail: 'INVITE has no SDP offer' };
  let session;
  try {
    session = parse(sdp);
  } catch (err) {
    return { ok: false, kind: 'BAD_SDP', detail: `unparseable SDP: ${(err as Error).message}` };
  }
  if (session.version !== 0 || !Array.isArray(session.media)) return { ok: false, kind: 'BAD_SDP', detail: 'not an SDP body (no v=0)' };
  const audio = session.media.filter((m) => m.type === 'audio');
  if (audio.length !== 1 || session.media.length !== 1) {
    return { ok: false, kind: 'BAD_SDP', detail: `expected one audio stream, got ${session.media.length} m-lines` };
  }
  const m = audio[0]!;
  if (!(m.port > 0)) return { ok: false, kind: 'BAD_SDP', detail: 'audio port is 0' };
  const address = m.connection?.ip ?? session.connection?.ip;
  if (!address) return { ok: false, kind: 'BAD_SDP', detail: 'no connection address (c=)' };
  const dtls = /UDP\/TLS/i.test(m.protocol) || Boolean(m.fingerprint ?? session.fingerprint);
  if (dtls && !opts.dtls) {
    return { ok: false, kind: 'DTLS_OFFER', detail: 'DTLS-SRTP offer and no rtpengine configured: configure rtpengine, or set srtp_key_exchange_protocol=SDES on the number at Meta' };
  }
  if (dtls) {
    if (m.protocol !== 'UDP/TLS/RTP/SAVPF') return { ok: false, kind: 'BAD_SDP', detail: `transport ${m.protocol}, expected UDP/TLS/RTP/SAVPF with a fingerprint` };
    if (!(m.fingerprint ?? session.fingerprint)) return { ok: false, kind: 'BAD_SDP', detail: 'UDP/TLS/RTP/SAVPF without a=fingerprint' };
    if (!(m.iceUfrag ?? session.iceUfrag) || !(m.icePwd ?? session.icePwd)) return { ok: false, kind: 'BAD_SDP', detail: 'DTLS offer without ICE credentials (a=ice-ufrag, a=ice-pwd)' };
  } else {
    if (m.protocol !== 'RTP/SAVP') return { ok: false, kind: 'BAD_SDP', detail: `transport ${m.protocol}, expected RTP/SAVP` };
    if (!m.crypto?.length) return { ok: false, kind: 'BAD_SDP', detail: 'RTP/SAVP without a=crypto' };
  }
  const rtp = m.rtp ?? [];
  const opus = rtp.find((r) => r.codec.toLowerCase() === 'opus' && r.rate === 48000);
  if (!opus) return { ok: false, kind: 'BAD_SDP', detail: 'no opus/48000 in the offer' };
  const dtmf = rtp.find((r) => r.codec.toLowerCase() === 'telephone-event' && r.rate === 8000);
  return { ok: true, opusPt: opus.payload, dtmfPt: dtmf?.payload ?? null, keyExchange: dtls ? 'dtls' : 'sdes' };
}
