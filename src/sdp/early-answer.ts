/**
 * A stand-in answer to FreeSWITCH's own offer, sent in a 183 while the far side rings, so
 * that FreeSWITCH holds its offering leg in early media and the legs can be bridged before
 * the far side answers (src/media/early-media.ts). It takes every codec of the offer and
 * points at the discard port of the loopback address (RFC 863): FreeSWITCH has nothing to
 * send there (the other leg's far end has no answer yet either), and the far side's real
 * answer replaces it when it comes.
 *
 * Only plain RTP offers get one: the real answer reaches FreeSWITCH in a second 183, which
 * FreeSWITCH negotiates like an offer, and a changed SDES key in an offer makes it draw a
 * new key of its own that the far side never learns. SDES, DTLS and ICE offers give null;
 * such a leg is bridged once the far side has answered.
 */

const DISCARD_PORT = 9;

export function earlyAnswer(offer: string): string | null {
  const lines = offer.split(/\r?\n/).map((l) => l.trimEnd()).filter(Boolean);
  if (lines.some((l) => /^a=(crypto|fingerprint|ice-ufrag|ice-pwd|candidate|setup):/.test(l))) return null;
  const mIdx = lines.findIndex((l) => l.startsWith('m='));
  const m = /^m=audio \d+ RTP\/AVP ([\d ]+)$/.exec(lines[mIdx] ?? '');
  if (!m || lines.slice(mIdx + 1).some((l) => l.startsWith('m='))) return null;
  const formats = m[1]!.trim().split(/ +/);
  // the loopback address of the offer's family: FreeSWITCH's RTP socket is of that family
  const host = lines.some((l) => /^c=IN IP6 /.test(l)) ? 'IP6 ::1' : 'IP4 127.0.0.1';
  const keep = lines.slice(mIdx + 1).filter((l) => {
    const f = /^a=(?:rtpmap|fmtp):(\d+) /.exec(l);
    return (f && formats.includes(f[1]!)) || /^a=ptime:/.test(l);
  });
  return [
    'v=0',
    `o=wa-sip-gateway 1 1 IN ${host}`,
    's=-',
    `c=IN ${host}`,
    't=0 0',
    `m=audio ${DISCARD_PORT} RTP/AVP ${formats.join(' ')}`,
    ...keep,
    'a=sendrecv',
    '',
  ].join('\r\n');
}
