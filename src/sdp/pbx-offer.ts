import { parse } from 'sdp-transform';

/** A PBX offer must be SDP with one usable audio stream; codec negotiation is FreeSWITCH's. */
export type PbxOfferCheck = { ok: true } | { ok: false; kind: 'NO_SDP' | 'BAD_SDP'; detail: string };

export function checkPbxOffer(sdp: string | undefined): PbxOfferCheck {
  if (!sdp?.trim()) return { ok: false, kind: 'NO_SDP', detail: 'INVITE without SDP (late offer is not supported)' };
  let session;
  try {
    session = parse(sdp);
  } catch (err) {
    return { ok: false, kind: 'BAD_SDP', detail: `unparseable SDP: ${(err as Error).message}` };
  }
  const audio = (session.media ?? []).filter((m) => m.type === 'audio' && m.port > 0);
  if (session.version !== 0 || audio.length === 0) return { ok: false, kind: 'BAD_SDP', detail: 'no audio stream in the offer' };
  if (!(audio[0]!.connection?.ip ?? session.connection?.ip)) return { ok: false, kind: 'BAD_SDP', detail: 'no connection address (c=)' };
  return { ok: true };
}
