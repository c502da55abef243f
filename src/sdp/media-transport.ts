import { parse } from 'sdp-transform';

/**
 * Where and how a side of an SDP receives audio: its address, port and SDES keys. Two SDPs
 * with the same transport differ only in ways the far end can ignore (origin, direction,
 * the codec list); a changed one means the far end must be told, or it sends to the wrong
 * place or with the wrong key.
 */
export function audioTransport(sdp: string): string {
  try {
    const s = parse(sdp);
    const audio = s.media.find((m) => m.type === 'audio');
    if (!audio) return '';
    const ip = audio.connection?.ip ?? s.connection?.ip ?? '';
    const keys = (audio.crypto ?? []).map((c) => `${c.suite} ${c.config}`).sort();
    return [ip, audio.port, ...keys].join(' ');
  } catch {
    return '';
  }
}
