/**
 * What Meta hears when the PBX leg fails (SPEC X1). One table, read top to bottom:
 *   PBX busy (486, 600)                       → 486 Busy Here: WhatsApp shows "busy"
 *   PBX declined (603)                        → 603 Decline
 *   nobody answered within ring_timeout       → 480 Temporarily Unavailable
 *   PBX 480 / 408, or no response at all      → 480 Temporarily Unavailable
 *   extension unknown (404, 484, 410, 604)    → 404 Not Found
 *   PBX refused us (401/407 we cannot answer, 403) → 503: our configuration, not the caller's fault
 *   PBX overloaded or broken (5xx)            → 503 Service Unavailable
 *   anything else                             → 480 Temporarily Unavailable
 */
export interface FinalResponse {
  status: number;
  reason: string;
}

export function mapPbxFailureToMeta(pbxStatus: number): FinalResponse {
  if (pbxStatus === 486 || pbxStatus === 600) return { status: 486, reason: 'Busy Here' };
  if (pbxStatus === 603) return { status: 603, reason: 'Decline' };
  if ([404, 410, 484, 604].includes(pbxStatus)) return { status: 404, reason: 'Not Found' };
  if ([401, 403, 407].includes(pbxStatus)) return { status: 503, reason: 'Service Unavailable' };
  if (pbxStatus >= 500 && pbxStatus < 600) return { status: 503, reason: 'Service Unavailable' };
  return { status: 480, reason: 'Temporarily Unavailable' };
}

export const RING_TIMEOUT_RESPONSE: FinalResponse = { status: 480, reason: 'Temporarily Unavailable' };

/**
 * What the PBX hears when Meta refuses a business-initiated call (SPEC M7). Meta's reason
 * travels in its `Warning: 399 wa.meta.vc "..."`, which the PBX gets as it was:
 *   403 (no call permission, domain mismatch, limits, bad digest, ...) → 403 + Warning
 *   404 (IP in Request-URI / unknown), 408 (RTP timeout), 480 (unreachable, no answer),
 *   486 (declined), 487 (cancelled), 503, 603                         → passed through
 *   400 (bad From number: our configuration)                           → 502 Bad Gateway
 *   401 / 407 we could not answer                                      → 403 Forbidden
 *   other 5xx → 503; anything else → 480
 */
export function mapMetaFailureToPbx(metaStatus: number, reason: string | undefined): FinalResponse {
  if ([403, 404, 408, 480, 486, 487, 503, 603].includes(metaStatus)) return { status: metaStatus, reason: reason || 'Meta refused' };
  if (metaStatus === 400) return { status: 502, reason: 'Bad Gateway' };
  if (metaStatus === 401 || metaStatus === 407) return { status: 403, reason: 'Meta Authentication Failed' };
  if (metaStatus >= 500) return { status: 503, reason: 'Service Unavailable' };
  return { status: 480, reason: 'Temporarily Unavailable' };
}

export const META_NO_ANSWER: FinalResponse = { status: 480, reason: 'Temporarily Unavailable' };

/** what the caller hears when the gateway's own media path fails (or the gateway ends a call being set up) */
export const MEDIA_FAILED: FinalResponse = { status: 503, reason: 'Service Unavailable' };
