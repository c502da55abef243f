import type { LegOptions, MediaLeg, MediaSession } from '../media/types';
import type { SipErrorLike, SrfDialog, SrfRequest } from '../sip/srf-types';
import type { FinalResponse } from './failure-map';

/**
 * The side a call is placed toward: the PBX for a WhatsApp user's call, Meta for an
 * agent's call. A B2buaSession dials it without knowing which one it is.
 */
export interface DialEvents {
  /** aborted once the call is ending: no request may leave for the far side after that */
  signal: AbortSignal;
  /** the INVITE as sent (for CANCEL, and its Call-ID) */
  onRequest(req: SrfRequest): void;
  onProvisional(status: number): void;
}

export interface FailureOutcome extends FinalResponse {
  /** CDR / log cause, e.g. `pbx-486`, `meta-403` */
  cause: string;
  /** response headers for the calling side (Meta's Warning, ...) */
  headers?: Record<string, string>;
  /** Meta's Warning text, for the CDR (or ours, when the gateway refused before anything went out) */
  warning?: string;
  /** who ended the call, when not the far side: the gateway refused it before anything went out */
  by?: 'gateway';
}

export interface FarSide {
  readonly side: 'meta' | 'pbx';
  /** the media leg toward this side, whose local SDP is our offer to it */
  prepareLeg(media: MediaSession, leg: LegOptions): Promise<MediaLeg>;
  readonly ringTimeoutMs: number;
  /** the calling side's answer when nobody answered in time */
  readonly noAnswer: FinalResponse;
  /** adapt FreeSWITCH's offer to what this side expects */
  shapeOffer(sdp: string): string;
  /** place the INVITE; resolves with the answered dialog, rejects with a SipError */
  dial(localSdp: string, events: DialEvents): Promise<SrfDialog>;
  /** the calling side's final response when dialing failed */
  mapFailure(err: SipErrorLike): FailureOutcome;
}
