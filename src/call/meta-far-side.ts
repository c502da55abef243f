import { answerChallenge } from '../auth/digest-client';
import type { MetaConfig } from '../config/types';
import type { LegOptions, MediaLeg, MediaSession } from '../media/types';
import { shapeOfferForMeta } from '../sdp/meta-offer-out';
import type { PinnedAddress } from '../sip/meta-tls';
import type { OutboundCall } from '../sip/pbx-admission';
import { isSipError, type SipErrorLike, type SipSignaling, type SrfDialog, type SrfRequest } from '../sip/srf-types';
import { uriHostPort } from '../util/sip-uri';
import { ABORTED, untilAborted } from '../util/abort';
import type { PermissionCheck } from './call-permission';
import { mapMetaFailureToPbx, META_NO_ANSWER } from './failure-map';
import { metaRefusalCause, REFUSAL_CAUSES, warningHeader, type RefusalCause } from './refusal-causes';
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
 * with the same Call-ID and From tag and CSeq+1; a second challenge fails the call. Before
 * the first INVITE, Meta's certificate is checked where it goes and, when the business number
 * has Graph API access, the call permission of the WhatsApp user (a refusal there: 403 to the
 * PBX, nothing to Meta).
 */
export class MetaFarSide implements FarSide {
  readonly side = 'meta' as const;
  readonly noAnswer = META_NO_ANSWER;

  constructor(
    private readonly sip: SipSignaling,
    private readonly meta: MetaConfig,
    private readonly call: OutboundCall,
    private readonly tls: MetaTlsCheck,
    /** Meta's call permissions, asked before the INVITE (call-permission.ts); none: Meta decides */
    private readonly permissions: PermissionCheck | null = null,
  ) {}

  get ringTimeoutMs(): number {
    return this.call.pbx.ring_timeout_seconds * 1000;
  }

  /**
   * FreeSWITCH's SDES offer, or for a number set to DTLS (`srtp: dtls`, issue 11) rtpengine's
   * DTLS-SRTP + ICE offer in front of FreeSWITCH's plain one; PCMU rides along only so that
   * telephone-event/8000 is offered, and is trimmed
   */
  prepareLeg(media: MediaSession, leg: LegOptions): Promise<MediaLeg> {
    const keyExchange = this.call.business.srtp ?? 'sdes';
    return media.createOffer({ codecs: ['OPUS', 'PCMU'], srtp: true, keyExchange }, leg);
  }

  shapeOffer(sdp: string): string {
    return shapeOfferForMeta(sdp);
  }

  async dial(localSdp: string, events: DialEvents): Promise<SrfDialog> {
    // asked beside the TLS check, so the Graph API's round trip overlaps the handshake
    const permission = this.permissions?.check(this.call.business, this.call.dialed, events.signal) ?? null;
    let pinned: PinnedAddress;
    try {
      pinned = await this.tls.pin();
    } catch (err) {
      throw Object.assign(sipError(503, 'Service Unavailable'), { gatewayCause: META_TLS_FAILED, detail: (err as Error).message });
    }
    if (events.signal.aborted) throw ABANDONED();
    if (permission) {
      // the call stays abandonable while the Graph API is asked
      const outcome = await untilAborted(permission, events.signal);
      if (outcome === ABORTED || events.signal.aborted) throw ABANDONED();
      if (outcome.kind === 'refuse') throw this.refusal(outcome.cause, outcome.text);
    }
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

  /** refused here, before anything went to Meta: 403, our plain-words Warning, the cause for the CDR */
  private refusal(cause: RefusalCause, text: string): SipErrorLike {
    const warning = warningHeader(this.meta.hostname, text);
    return Object.assign(sipError(403, REFUSAL_CAUSES[cause].reason), { gatewayCause: cause, gatewayWarning: warning, detail: text });
  }

  /**
   * Our own refusals as they were made; Meta's as the table in failure-map.ts has it, and a
   * Warning text of Meta's we know mapped to the same plain cause as ours: the PBX gets our
   * Warning in plain words first, then Meta's as it came; the CDR Meta's.
   */
  mapFailure(err: SipErrorLike): FailureOutcome {
    const own = err as { gatewayCause?: string; gatewayWarning?: string };
    if (own.gatewayCause) {
      const w = own.gatewayWarning;
      return { ...mapMetaFailureToPbx(err.status, err.reason), cause: own.gatewayCause, by: 'gateway', ...(w ? { warning: w, headers: { Warning: w } } : {}) };
    }
    const warning = err.res?.get('Warning');
    const resp = mapMetaFailureToPbx(err.status, err.reason);
    const cause = err.status === 403 || err.status === 400 ? metaRefusalCause(warning) : null;
    if (!cause || !warning) return { ...resp, cause: `meta-${err.status}`, ...(warning ? { warning, headers: { Warning: warning } } : {}) };
    // what the check let through (or could not check) Meta knows better: ask again next time
    if (cause === 'no-call-permission' || cause === 'call-limit') this.permissions?.forget(this.call.business, this.call.dialed);
    const ours = warningHeader(this.meta.hostname, REFUSAL_CAUSES[cause].text);
    return { status: resp.status, reason: REFUSAL_CAUSES[cause].reason, cause, warning, headers: { Warning: `${ours}, ${warning}` } };
  }
}
