import { parse } from 'sdp-transform';

/**
 * Meta's offer policy (SPEC M10): one audio stream, SDES (`RTP/SAVP` + `a=crypto`), Opus.
 * A DTLS offer (`UDP/TLS/RTP/SAVPF`) means the number is not set to SDES at Meta.
 */
export type OfferCheck =
  | { ok: true; opusPt: number; dtmfPt: number | null }
  | { ok: false; kind: 'NO_SDP' | 'BAD_SDP' | 'DTLS_OFFER'; detail: string };

export function checkMetaOffer(sdp: string | undefined): OfferCheck {
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
  if (/UDP\/TLS/i.test(m.protocol) || m.fingerprint || session.fingerprint) {
    return { ok: false, kind: 'DTLS_OFFER', detail: 'DTLS-SRTP offer: set srtp_key_exchange_protocol=SDES on the number at Meta' };
  }
  if (m.protocol !== 'RTP/SAVP') return { ok: false, kind: 'BAD_SDP', detail: `transport ${m.protocol}, expected RTP/SAVP` };
  if (!m.crypto?.length) return { ok: false, kind: 'BAD_SDP', detail: 'RTP/SAVP without a=crypto' };
  const rtp = m.rtp ?? [];
  const opus = rtp.find((r) => r.codec.toLowerCase() === 'opus' && r.rate === 48000);
  if (!opus) return { ok: false, kind: 'BAD_SDP', detail: 'no opus/48000 in the offer' };
  const dtmf = rtp.find((r) => r.codec.toLowerCase() === 'telephone-event' && r.rate === 8000);
  return { ok: true, opusPt: opus.payload, dtmfPt: dtmf?.payload ?? null };
}
