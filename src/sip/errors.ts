/**
 * The one catalogue of stable rejection codes: each with the SIP status and reason the
 * far end gets. Log lines and CDRs carry the code; operators grep for it.
 */
export const REJECTIONS = {
  SOURCE_NOT_ALLOWED: { status: 403, reason: 'Forbidden' },
  TLS_REQUIRED: { status: 403, reason: 'TLS Required' },
  BAD_REQUEST_URI: { status: 404, reason: 'Not Found' },
  UNKNOWN_NUMBER: { status: 404, reason: 'Not Found' },
  AUTH_CHALLENGE_PROXY: { status: 407, reason: 'Proxy Authentication Required' },
  AUTH_CHALLENGE_WWW: { status: 401, reason: 'Unauthorized' },
  AUTH_FAILED: { status: 403, reason: 'Forbidden' },
  UDP_SOURCE_UNTRUSTED: { status: 403, reason: 'Forbidden' },
  BUSINESS_NUMBER_NOT_ALLOWED: { status: 403, reason: 'Forbidden' },
  ADDRESS_INCOMPLETE: { status: 484, reason: 'Address Incomplete' },
  NO_BUSINESS_NUMBER: { status: 403, reason: 'No Business Number' },
  // an agent's call from a business number of a country where Meta offers no business-initiated calls (meta-countries.ts)
  BUSINESS_CALLING_UNAVAILABLE: { status: 403, reason: 'Business Calling Unavailable' },
  NO_SDP: { status: 488, reason: 'Not Acceptable Here' },
  BAD_SDP: { status: 488, reason: 'Not Acceptable Here' },
  DTLS_OFFER: { status: 488, reason: 'Not Acceptable Here' },
  // a DTLS-SRTP call while rtpengine, its DTLS terminator, does not answer (issue 11)
  DTLS_UNAVAILABLE: { status: 503, reason: 'Service Unavailable' },
  NO_MEDIA_SERVER: { status: 503, reason: 'Service Unavailable' },
  // each media server up is setting up freeswitch[].max_setups legs already (src/media/server-choice.ts)
  MEDIA_BUSY: { status: 503, reason: 'Media Server Busy' },
  MEDIA_FAILED: { status: 503, reason: 'Service Unavailable' },
  DRAINING: { status: 503, reason: 'Shutting Down' },
  LIMIT_CALLS: { status: 503, reason: 'Too Many Calls' },
  LIMIT_NUMBER: { status: 503, reason: 'Too Many Calls For Number' },
  LIMIT_CPS: { status: 503, reason: 'Call Rate Exceeded' },
  // Redis (limits, used nonces) unreachable and redis.on_unreachable is fail-closed
  SHARED_STATE_UNAVAILABLE: { status: 503, reason: 'Service Unavailable' },
  INTERNAL: { status: 500, reason: 'Server Internal Error' },
  // hostile or unexpected input outside a dialog (src/sip/request-rules.ts; SPEC R5)
  BAD_REQUEST_URI_SYNTAX: { status: 400, reason: 'Bad Request-URI' },
  METHOD_NOT_ALLOWED: { status: 405, reason: 'Method Not Allowed' },
  UNSUPPORTED_URI_SCHEME: { status: 416, reason: 'Unsupported URI Scheme' },
  BAD_EXTENSION: { status: 420, reason: 'Bad Extension' },
  NO_DIALOG: { status: 481, reason: 'Call/Transaction Does Not Exist' },
  NOT_IMPLEMENTED: { status: 501, reason: 'Not Implemented' },
} as const;

export type RejectionCode = keyof typeof REJECTIONS;

/**
 * Requests answered with nothing at all, on purpose: any answer (even 403) tells a scanner
 * that a SIP host lives here. Counted and logged like the rejections.
 */
export const DROPS = {
  /** OPTIONS, REGISTER, SUBSCRIBE, ... from an address that is neither Meta nor a configured PBX */
  STRANGER_REQUEST: 'no answer to a request other than INVITE from outside Meta and the PBXs',
  /** drachtio-server passed it on, drachtio-srf cannot parse it (src/sip/drachtio-parse-guard.ts) */
  UNPARSEABLE: 'no answer to a message drachtio-srf cannot parse',
} as const;

export type DropCode = keyof typeof DROPS;

export interface Rejection {
  code: RejectionCode;
  /** what went wrong, for the log (never a secret) */
  detail: string;
  /** extra response headers (a challenge, a Warning) */
  headers?: Record<string, string>;
}

export function reject(code: RejectionCode, detail: string, headers?: Record<string, string>): Rejection {
  return headers ? { code, detail, headers } : { code, detail };
}
