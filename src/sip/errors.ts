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
  NO_SDP: { status: 488, reason: 'Not Acceptable Here' },
  BAD_SDP: { status: 488, reason: 'Not Acceptable Here' },
  DTLS_OFFER: { status: 488, reason: 'Not Acceptable Here' },
  NO_MEDIA_SERVER: { status: 503, reason: 'Service Unavailable' },
  MEDIA_FAILED: { status: 503, reason: 'Service Unavailable' },
  DRAINING: { status: 503, reason: 'Shutting Down' },
  LIMIT_CALLS: { status: 503, reason: 'Too Many Calls' },
  LIMIT_NUMBER: { status: 503, reason: 'Too Many Calls For Number' },
  LIMIT_CPS: { status: 503, reason: 'Call Rate Exceeded' },
  INTERNAL: { status: 500, reason: 'Server Internal Error' },
} as const;

export type RejectionCode = keyof typeof REJECTIONS;

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
