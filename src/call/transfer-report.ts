import { isDialogUp, type SrfDialog, type SrfRequest } from '../sip/srf-types';
import type { Logger } from '../util/logger';
import { withTimeout } from '../util/time';

/** how a transfer went: the status line of the target's response */
export interface Outcome {
  status: number;
  reason: string;
}

const NOTIFY_TIMEOUT_MS = 4000;

const PHRASES: Record<number, string> = {
  100: 'Trying', 200: 'OK', 404: 'Not Found', 408: 'Request Timeout', 480: 'Temporarily Unavailable',
  486: 'Busy Here', 487: 'Request Terminated', 500: 'Server Internal Error', 503: 'Service Unavailable', 603: 'Decline',
};

/**
 * The transferor's view of a transfer (RFC 3515 §2.4.4-2.4.7): NOTIFYs in the REFER's dialog,
 * `Event: refer;id=<CSeq number of the REFER>`, a `message/sipfrag` body holding the status
 * line of the target's response — `100 Trying` at once, then the final one, which terminates
 * the implicit subscription. A REFER with `Refer-Sub: false` (RFC 4488) gets no NOTIFY.
 */
export class TransferReport {
  private readonly id: string;
  private readonly subscribed: boolean;
  private sent: Promise<void> = Promise.resolve();

  constructor(private readonly dialog: SrfDialog, refer: SrfRequest, private readonly log: Logger) {
    this.id = (refer.has('CSeq') ? refer.get('CSeq') : '').trim().split(/\s+/)[0] ?? '';
    this.subscribed = (refer.has('Refer-Sub') ? refer.get('Refer-Sub') : '').trim().toLowerCase() !== 'false';
  }

  /** headers of our 202 */
  get responseHeaders(): Record<string, string> {
    return this.subscribed ? {} : { 'Refer-Sub': 'false' };
  }

  trying(): void {
    this.sent = this.notify({ status: 100, reason: 'Trying' }, 'active;expires=60');
  }

  /** the outcome, after the 100 Trying's NOTIFY is done */
  async final(o: Outcome): Promise<void> {
    await this.sent;
    await this.notify(o, 'terminated;reason=noresource');
  }

  private async notify(o: Outcome, state: string): Promise<void> {
    if (!this.subscribed || !isDialogUp(this.dialog)) return;
    const line = `SIP/2.0 ${o.status} ${o.reason || PHRASES[o.status] || 'Unknown'}`;
    try {
      const res = await withTimeout(this.dialog.request({
        method: 'NOTIFY',
        headers: {
          Event: this.id ? `refer;id=${this.id}` : 'refer',
          'Subscription-State': state,
          'Content-Type': 'message/sipfrag;version=2.0',
        },
        body: `${line}\r\n`,
      }), NOTIFY_TIMEOUT_MS, null);
      if (!res) this.log.warn({ sipfrag: line }, 'transfer NOTIFY: no response from the PBX');
      else this.log.debug({ sipfrag: line, status: res.status }, 'transfer NOTIFY answered');
    } catch (err) {
      this.log.warn({ sipfrag: line, err: (err as Error).message }, 'transfer NOTIFY failed');
    }
  }
}
