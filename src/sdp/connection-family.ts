/**
 * The address family of an SDP's audio connection (`c=IN IP6 ...` or `c=IN IP4 ...`, RFC 8866
 * §5.7): the audio m-line's own c= if it has one, else the session-level one. Null when there
 * is none. Which FreeSWITCH profile answers an offer depends on it (src/media).
 */
export function connectionFamily(sdp: string): 4 | 6 | null {
  const lines = sdp.split(/\r?\n/);
  const audio = lines.findIndex((l) => l.startsWith('m=audio'));
  const next = audio < 0 ? -1 : lines.findIndex((l, i) => i > audio && l.startsWith('m='));
  const media = audio < 0 ? [] : lines.slice(audio + 1, next < 0 ? undefined : next);
  const firstMedia = lines.findIndex((l) => l.startsWith('m='));
  const session = firstMedia < 0 ? lines : lines.slice(0, firstMedia);
  const c = [...media, ...session].find((l) => l.startsWith('c='));
  const m = c ? /^c=IN IP([46]) /.exec(c) : null;
  return m ? (Number(m[1]) as 4 | 6) : null;
}
