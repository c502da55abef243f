import { parse, write } from 'sdp-transform';

/**
 * FreeSWITCH's offer toward Meta, trimmed to what Meta's SDES mode takes (SPEC M10, M11):
 * Opus 48 kHz and telephone-event/8000 only (FreeSWITCH also offers telephone-event/48000),
 * the AES_CM_128_HMAC_SHA1_80 crypto suite, ptime 20.
 */
export function shapeOfferForMeta(sdp: string): string {
  const session = parse(sdp);
  for (const m of session.media) {
    if (m.type !== 'audio') continue;
    const keep = new Set(
      (m.rtp ?? [])
        .filter((r) => (r.codec.toLowerCase() === 'opus' && r.rate === 48000) || (r.codec.toLowerCase() === 'telephone-event' && r.rate === 8000))
        .map((r) => r.payload),
    );
    m.rtp = (m.rtp ?? []).filter((r) => keep.has(r.payload));
    m.fmtp = (m.fmtp ?? []).filter((f) => keep.has(f.payload));
    m.payloads = String(m.payloads ?? '').split(' ').filter((p) => keep.has(Number(p))).join(' ');
    if (m.crypto) m.crypto = m.crypto.filter((c) => c.suite === 'AES_CM_128_HMAC_SHA1_80');
    m.ptime = 20;
  }
  return write(session);
}
