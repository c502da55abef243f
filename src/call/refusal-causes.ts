/**
 * Why an agent's call to a WhatsApp user was refused, in plain words (SPEC M7, P3). One set
 * of causes whoever refused: the gateway before anything went to Meta (call permission check,
 * country rule), or Meta itself with its `Warning: 399 wa.meta.vc "..."`. The cause names the
 * CDR `cause` and the metric's `reason`; the text goes to the PBX in our own Warning, so an
 * agent's phone (or the PBX's log) says why.
 */

export const REFUSAL_CAUSES = {
  'no-call-permission': { reason: 'No Call Permission', text: 'the WhatsApp user has not allowed calls from this business number' },
  'call-limit': { reason: 'Call Limit Reached', text: 'the limit of connected calls from this business number to this WhatsApp user is reached' },
  'call-not-allowed': { reason: 'Call Not Allowed Now', text: 'Meta does not allow a call from this business number to this WhatsApp user now' },
  'business-calling-unavailable': { reason: 'Business Calling Unavailable', text: 'Meta offers no business-initiated calls from this business number' },
  'duplicate-call': { reason: 'Call Already In Progress', text: 'a call between this business number and this WhatsApp user is already in progress' },
  'sip-domain-mismatch': { reason: 'Gateway Not Configured At Meta', text: "Meta has not got this gateway's SIP hostname configured on the business number (meta.hostname and the number's SIP settings at Meta must agree)" },
  'app-not-authorized': { reason: 'Gateway Not Authorized At Meta', text: 'the Meta app that configured our SIP server has no permission on this business number' },
  'bad-digest': { reason: 'SIP Password Refused', text: "Meta refused the business number's SIP password (numbers[].sip_password_env)" },
  'payment': { reason: 'Payment Issue', text: 'Meta refused the call: a payment issue on the WhatsApp Business account' },
  'bad-sdp': { reason: 'Media Offer Refused', text: "Meta refused the gateway's media offer (SDP)" },
  'unknown-business-number': { reason: 'Business Number Unknown', text: 'Meta does not know this business number on the WhatsApp Business Platform' },
} as const satisfies Record<string, { reason: string; text: string }>;

export type RefusalCause = keyof typeof REFUSAL_CAUSES;

export function isRefusalCause(cause: string): cause is RefusalCause {
  return Object.hasOwn(REFUSAL_CAUSES, cause);
}

/**
 * Meta's Warning texts (meta-docs/calling-troubleshooting-errors.md, "SIP errors, business
 * initiated calls"), matched loosely: Meta words them differently in places (a colon and a
 * sentence more, another capitalisation).
 */
const META_WARNINGS: [RegExp, RefusalCause][] = [
  [/no approved call permission/i, 'no-call-permission'],
  [/per day limit|calls? limit/i, 'call-limit'],
  [/business[- ]initiated calling is not available/i, 'business-calling-unavailable'],
  [/duplicate call|already ongoing|already an active call/i, 'duplicate-call'],
  [/does not match any sip server/i, 'sip-domain-mismatch'],
  [/is not authorized for phone number/i, 'app-not-authorized'],
  [/digest/i, 'bad-digest'],
  [/payment/i, 'payment'],
  [/sdp/i, 'bad-sdp'],
  [/asset not found|invalid business phone number/i, 'unknown-business-number'],
];

/** the warn-text of a Warning header value (`399 host "text"`), unquoted */
export function warningText(value: string): string {
  const m = /^\s*\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"/.exec(value);
  return m ? m[1]!.replace(/\\(.)/g, '$1') : value;
}

/** the cause of Meta's refusal, from its Warning; null when the text is not one we know */
export function metaRefusalCause(warning: string | undefined): RefusalCause | null {
  if (!warning) return null;
  const text = warningText(warning);
  return META_WARNINGS.find(([re]) => re.test(text))?.[1] ?? null;
}

/** RFC 3261 §20.43: `399 <agent> "<text>"`, the text a quoted-string (RFC 3261 §25.1) */
export function warningHeader(agent: string, text: string): string {
  const quoted = text.replace(/[\r\n]+/g, ' ').replace(/[\\"]/g, (c) => `\\${c}`);
  return `399 ${agent || 'wa-sip-gateway'} "${quoted}"`;
}

/** a Unix time as the agent reads it: 2025-04-25 23:10:00 UTC */
export function utcTime(unixSeconds: number): string {
  return `${new Date(unixSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
