import { parse, write } from 'sdp-transform';

type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

const ANSWER_TO: Record<Direction, Direction> = { sendrecv: 'sendrecv', sendonly: 'recvonly', recvonly: 'sendonly', inactive: 'inactive' };

/** the direction an offer asks for (audio line first, then session level) */
export function offerDirection(offer: string): Direction {
  const s = parse(offer);
  const audio = s.media.find((m) => m.type === 'audio');
  const c = audio?.connection?.ip ?? s.connection?.ip;
  if (c === '0.0.0.0') return 'inactive'; // RFC 2543 hold
  return (audio?.direction ?? s.direction ?? 'sendrecv') as Direction;
}

/**
 * Our answer to a PBX re-INVITE mirrors the direction it asked for (RFC 3264 §6.1: hold
 * with sendonly → recvonly, inactive → inactive), whatever FreeSWITCH answered.
 */
export function answerWithDirection(answer: string, offer: string): string {
  const want = ANSWER_TO[offerDirection(offer)];
  const s = parse(answer);
  delete s.direction;
  for (const m of s.media) if (m.type === 'audio') m.direction = want;
  return write(s);
}
