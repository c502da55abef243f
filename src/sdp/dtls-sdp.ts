/**
 * SDP of the DTLS-SRTP mode (issue 11), as text: Meta's offers and answers in that mode are
 * `UDP/TLS/RTP/SAVPF` with an `a=fingerprint`, and say `a=ice-lite` at session level.
 */

const LINE = /\r?\n/;

/** the SDP asks for DTLS-SRTP: a `UDP/TLS/...` transport or a fingerprint */
export function isDtlsSdp(sdp: string | undefined): boolean {
  if (!sdp) return false;
  return /^m=\S+ \d+(?:\/\d+)? UDP\/TLS\//im.test(sdp) || /^a=fingerprint:/im.test(sdp);
}

/**
 * Meta puts `a=ice-lite` at session level (RFC 8839 §5.3 allows only that), but rtpengine
 * 10.5 reads it only inside an m= section (fixed upstream in mr11.5, rtpengine #1721): it
 * would then take Meta for a full ICE agent and stay ICE-controlled, and no check of Meta's
 * (an ICE-lite agent sends none) would ever start the media. The session-level line is moved
 * into every m= section that lacks one; any other SDP comes back as it was.
 */
export function iceLiteIntoMedia(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(LINE);
  const firstMedia = lines.findIndex((l) => l.startsWith('m='));
  if (firstMedia < 0) return sdp;
  const session = lines.slice(0, firstMedia);
  if (!session.some((l) => l.trim() === 'a=ice-lite')) return sdp;
  const out = session.filter((l) => l.trim() !== 'a=ice-lite');
  let section: string[] = [];
  // last in the section: an a= line before the section's c= line is malformed SDP
  // (RFC 8866 §5: m=, i=, c=, b=, k=, then a=), which rtpengine refuses to rewrite
  const flush = () => {
    if (section.length === 0) return;
    out.push(...section);
    if (!section.some((l) => l.trim() === 'a=ice-lite')) out.push('a=ice-lite');
    section = [];
  };
  for (const l of lines.slice(firstMedia)) {
    if (l.startsWith('m=')) flush();
    section.push(l);
  }
  // the last section holds the text after the final line break (''), which stays last
  const tail = section.length > 1 && section[section.length - 1] === '' ? section.pop() : undefined;
  flush();
  if (tail !== undefined) out.push(tail);
  return out.join(eol);
}
