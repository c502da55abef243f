import type { SrfRequest } from '../sip/srf-types';

/** after our CANCEL, how long the far side's 487 is waited for before we give up on the INVITE */
export const CANCEL_GRACE_MS = 4000;

/**
 * The INVITE a call has out toward the far side, and its CANCEL. The CANCEL is handed to
 * drachtio-server as soon as the call is abandoned; its SIP stack (sofia-sip nta) keeps it
 * back until a provisional response has arrived (RFC 3261 §9.1), including the 100 Trying
 * it does not pass up to us, and drops it when a final response comes first (a non-2xx it
 * ACKs itself; the session BYEs a 2xx). Abandoned before the INVITE is even out, the
 * CANCEL follows it as soon as it is.
 */
export class OutgoingInvite {
  private req: SrfRequest | null = null;
  private abandoned = false;
  private cancelSent: Promise<void> | null = null;

  /** the INVITE as sent (a retry with credentials replaces the first one) */
  sent(req: SrfRequest): void {
    this.req = req;
    this.cancelSent = null;
    if (this.abandoned) void this.cancel();
  }

  /** the INVITE has its final response: nothing to CANCEL any more */
  done(): void {
    this.req = null;
  }

  /** CANCEL the INVITE out now (or the next one sent); resolves once drachtio-server has taken it */
  abandon(): Promise<void> {
    this.abandoned = true;
    return this.cancel();
  }

  private cancel(): Promise<void> {
    const req = this.req;
    if (!req) return Promise.resolve();
    this.cancelSent ??= new Promise((resolve) => {
      try {
        req.cancel(() => resolve());
      } catch {
        resolve(); // drachtio-srf throws when it has no drachtio-server connection
      }
    });
    return this.cancelSent;
  }
}
