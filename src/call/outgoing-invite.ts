import type { SrfRequest } from '../sip/srf-types';

/**
 * The INVITE a call has out toward the far side, and its CANCEL (RFC 3261 §9.1): a CANCEL
 * goes out only once a provisional response has arrived. Abandoned before that, the CANCEL
 * waits for the first provisional; a final response that comes instead ends the INVITE
 * (drachtio-server ACKs a non-2xx itself; the session BYEs a 2xx).
 */
export class OutgoingInvite {
  private req: SrfRequest | null = null;
  private provisional = false;
  private abandoned = false;
  private cancelSent: Promise<void> | null = null;

  /** the INVITE as sent (a retry with credentials replaces the first one) */
  sent(req: SrfRequest): void {
    this.req = req;
    this.provisional = false;
    this.cancelSent = null;
    if (this.abandoned) this.maybeCancel();
  }

  /** a provisional response to the INVITE out now */
  onProvisional(): void {
    this.provisional = true;
    if (this.abandoned) this.maybeCancel();
  }

  /** the INVITE has its final response: nothing to CANCEL any more */
  done(): void {
    this.req = null;
  }

  /** true once the CANCEL went out for the INVITE out now */
  get cancelled(): boolean {
    return this.cancelSent !== null;
  }

  /** whether a provisional response has come for the INVITE out now */
  get hadProvisional(): boolean {
    return this.provisional;
  }

  /**
   * CANCEL the INVITE now if a provisional has come, else as soon as one does. Resolves once
   * a CANCEL that went out is answered (or at once when it has to wait).
   */
  abandon(): Promise<void> {
    this.abandoned = true;
    return this.maybeCancel() ?? Promise.resolve();
  }

  private maybeCancel(): Promise<void> | null {
    const req = this.req;
    if (!req || !this.provisional) return null;
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
