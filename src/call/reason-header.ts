/**
 * The `Reason` header (RFC 3326) on the BYEs that end a call: a Q.850 cause code for the way
 * the call ended (a BYE from one side is a normal clearing for the other; a gateway-ended call
 * says why), and a text that is the cause's fixed ITU-T name, never our free-form cause string
 * (which may carry an exception message: quotes, CR/LF, internal detail). The detail stays in
 * the CDR and the log.
 */

/** Q.850 causes we send, with ITU-T names as FreeSWITCH spells them */
const Q850 = {
  16: 'NORMAL_CLEARING',
  17: 'USER_BUSY',
  18: 'NO_USER_RESPONSE',
  19: 'NO_ANSWER',
  21: 'CALL_REJECTED',
  1: 'UNALLOCATED_NUMBER',
  22: 'NUMBER_CHANGED',
  25: 'EXCHANGE_ROUTING_ERROR',
  28: 'INVALID_NUMBER_FORMAT',
  31: 'NORMAL_UNSPECIFIED',
  38: 'NETWORK_OUT_OF_ORDER',
  41: 'NORMAL_TEMPORARY_FAILURE',
  63: 'SERVICE_UNAVAILABLE',
  79: 'SERVICE_NOT_IMPLEMENTED',
  88: 'INCOMPATIBLE_DESTINATION',
  102: 'RECOVERY_ON_TIMER_EXPIRE',
  127: 'INTERWORKING',
} as const;
export type Q850Cause = keyof typeof Q850;

/** a far side's SIP final status → Q.850 (RFC 3398 §8.2.6.1, SIP → ISUP; 488/606 as FreeSWITCH maps them) */
export function q850ForSipStatus(status: number): Q850Cause {
  const exact: Record<number, Q850Cause> = {
    400: 41, 401: 21, 402: 21, 403: 21, 404: 1, 405: 63, 406: 79, 407: 21, 408: 102, 410: 22,
    413: 127, 414: 127, 415: 79, 416: 127, 420: 127, 421: 127, 423: 127, 480: 18, 481: 41,
    482: 25, 483: 25, 484: 28, 485: 1, 486: 17, 488: 88, 500: 41, 501: 79, 502: 38, 503: 41, 504: 102,
    505: 127, 513: 127, 600: 17, 603: 21, 604: 1, 606: 88,
  };
  return exact[status] ?? 31;
}

/** the first token of one of our end causes (`media-error: <message>` → `media-error`) */
function causeToken(cause: string): string {
  return /^[a-z0-9-]*/.exec(cause.toLowerCase())?.[0] ?? '';
}

/** our end cause (the CDR's `cause`) → Q.850 */
export function q850ForCause(cause: string): Q850Cause {
  const token = causeToken(cause);
  const status = /^(?:meta|pbx)-(\d{3})$/.exec(token);
  if (status) return q850ForSipStatus(Number(status[1]));
  if (token === 'bye' || token === 'cancel') return 16;
  if (token.endsWith('-no-answer') || token.endsWith('-bye-at-answer')) return 19;
  // the 200 OK was never ACKed (64*T1), or no RTP for the watchdog's time
  if (token.endsWith('-no-ack') || token.endsWith('-media-timeout')) return 102;
  // a component of ours failed under the call: FreeSWITCH, drachtio-server, media set-up, the answer
  if (['media-server-lost', 'drachtio-lost', 'media-error', 'answer-failed'].includes(token) || token.startsWith('media-server-ended-')) return 41;
  return 31; // shutdown, and anything not listed: normal, unspecified
}

/** `Q.850;cause=<n>;text="<NAME>"` for one of our end causes; the text is the cause's fixed name */
export function reasonHeader(cause: string): string {
  const code = q850ForCause(cause);
  return `Q.850;cause=${code};text="${Q850[code]}"`;
}
