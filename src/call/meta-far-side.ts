import { answerChallenge } from '../auth/digest-client';
import type { MetaConfig } from '../config/types';
import type { LegOptions, MediaLeg, MediaSession } from '../media/types';
import { shapeOfferForMeta } from '../sdp/meta-offer-out';
import type { PinnedAddress } from '../sip/meta-tls';
import type { OutboundCall } from '../sip/pbx-admission';
import { isSipError, type SipErrorLike, type SipSignaling, type SrfDialog, type SrfRequest } from '../sip/srf-types';
import { uriHostPort } from '../util/sip-uri';
import { mapMetaFailureToPbx, META_NO_ANSWER } from './failure-map';
import type { DialEvents, FailureOutcome, FarSide } from './far-side';

/** the address Meta's certificate was verified at, where the INVITE then goes (src/sip/meta-tls.ts) */
export interface MetaTlsCheck {
  pin(): Promise<PinnedAddress>;
}

/** the CDR cause of a call refused because Meta's certificate failed the check */
export const META_TLS_FAILED = 'meta-tls-failed';

function sipError(status: number, reason: string): SipErrorLike {
  return Object.assign(new Error(`${status} ${reason}`), { name: 'SipError', status, reason });
}

/** the call ended before this step: nothing more goes to Meta */
const ABANDONED = () => sipError(487, 'Request Terminated');

/**
 * Dialing Meta for an agent's call (SPEC M5-M8, M10): `sip:+<user>@wa.meta.vc;transport=tls`
 * over TLS to Meta's SIP host, From = the business number at our configured hostname, an
 * SDES Opus offer, no session timers. Meta's 407/401 is answered once (MD5 or SHA-256)
 * with the same Call-ID and From tag and CSeq+1; a second challenge fails the call.
 */
export class MetaFarSide implements FarSide {
  readonly side = 'meta' as const;
  readonly noAnswer = META_NO_ANSWER;

  constructor(
    private readonly sip: SipSignaling,
    private readonly meta: MetaConfig,
    private readonly call: OutboundCall,
    private readonly tls: MetaTlsCheck,
  ) {}

  get ringTimeoutMs(): number {
    return this.call.pbx.ring_timeout_seconds * 1000;
  }

  /** FreeSWITCH's SDES offer; PCMU rides along only so that telephone-event/8000 is offered, and is trimmed */
  prepareLeg(media: MediaSession, leg: LegOptions): Promise<MediaLeg> {
    return media.createOffer({ codecs: ['OPUS', 'PCMU'], srtp: true }, leg);
  }

  shapeOffer(sdp: string): string {
    return shapeOfferForMeta(sdp);
  }

  async dial(localSdp: string, events: DialEvents): Promise<SrfDialog> {
    let pinned: PinnedAddress;
    try {
      pinned = await this.tls.pin();
    } catch (err) {
      throw Object.assign(sipError(503, 'Service Unavailable'), { gatewayCause: META_TLS_FAILED, detail: (err as Error).message });
    }
    if (events.signal.aborted) throw ABANDONED();
    const uri = `sip:${this.call.dialed}@${this.meta.outbound_domain};transport=tls`;
    // exactly the address whose certificate was just verified, for both INVITEs
    const proxy = `sip:${uriHostPort(pinned.address, pinned.port)};transport=tls`;
    const from = `<sip:${this.call.business.number}@${this.meta.hostname}>`;
    let sent: SrfRequest | null = null;
    const callbacks = {
      cbRequest: (err: Error | null, req: SrfRequest) => {
        if (err) return;
        sent = req;
        events.onRequest(req);
      },
      cbProvisional: (res: { status: number }) => events.onProvisional(res.status),
    };
    try {
      return await this.sip.createUAC(uri, { proxy, localSdp, headers: { From: from, To: `<sip:${this.call.dialed}@${this.meta.outbound_domain}>` } }, callbacks);
    } catch (err) {
      const first = sent as SrfRequest | null;
      if (!isSipError(err) || (err.status !== 401 && err.status !== 407) || !err.res || !first) throw err;
      const answer = answerChallenge(err.status, err.res.get(err.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate'), {
        username: this.call.business.number.slice(1), password: this.call.business.sip_password, method: 'INVITE', uri,
      });
      if (typeof answer === 'string') throw sipError(403, `cannot answer Meta's challenge: ${answer}`);
      // the caller hung up while the challenge was on its way: the WhatsApp user's phone must not ring
      if (events.signal.aborted) throw ABANDONED();
      const seq = Number(first.get('CSeq').split(' ')[0]) + 1;
      return await this.sip.createUAC(uri, {
        proxy,
        localSdp,
        headers: { From: first.get('From'), To: first.get('To'), 'Call-ID': first.get('Call-ID'), CSeq: `${seq} INVITE`, [answer.header]: answer.value },
      }, callbacks);
    }
  }

  mapFailure(err: SipErrorLike): FailureOutcome {
    const warning = err.res?.get('Warning');
    const resp = mapMetaFailureToPbx(err.status, err.reason);
    const gatewayCause = (err as { gatewayCause?: string }).gatewayCause;
    return {
      ...resp,
      cause: gatewayCause ?? `meta-${err.status}`,
      ...(warning ? { warning, headers: { Warning: warning } } : {}),
    };
  }
}
