import type { PbxTarget } from '../config/types';
import type { LegOptions, MediaLeg, MediaSession } from '../media/types';
import type { InboundCall } from '../sip/meta-admission';
import type { AuthProvider, SipErrorLike, SipSignaling, SrfDialog } from '../sip/srf-types';
import { uriHost, uriHostPort } from '../util/sip-uri';
import { mapPbxFailureToMeta, RING_TIMEOUT_RESPONSE } from './failure-map';
import type { DialEvents, FailureOutcome, FarSide } from './far-side';

/**
 * drachtio-srf answers the PBX's challenge itself; a call that ended meanwhile leaves it
 * unanswered, so no authenticated INVITE goes out for it.
 */
function credentialsUnlessEnded(auth: { username: string; password: string }, signal: AbortSignal): AuthProvider {
  return (_req, _res, cb) => (signal.aborted ? cb(new Error('the call ended before the challenge came')) : cb(null, auth.username, auth.password));
}

/**
 * The WhatsApp caller's number as the PBX's caller ID, asserted; a caller without a usable
 * number (withheld, or known to Meta only by a user id) is anonymous per RFC 3323: the
 * anonymous From, `Privacy: id`, and no P-Asserted-Identity. Meta's ids ride in the X- headers.
 */
export function callerIdentity(caller: string | null, ourHost: string): Record<string, string> {
  if (!caller) return { From: '"Anonymous" <sip:anonymous@anonymous.invalid>', Privacy: 'id' };
  const uri = `sip:${caller}@${uriHost(ourHost)}`;
  return { From: `"${caller.slice(1)}" <${uri}>`, 'P-Asserted-Identity': `<${uri}>` };
}

/**
 * Dialing the PBX for a WhatsApp user's call (SPEC P1, P2): the Request-URI is the
 * routed extension at the PBX, the caller ID is the WhatsApp number, Meta's values ride
 * along as headers, and the PBX's digest challenge is answered when it has credentials.
 */
export class PbxFarSide implements FarSide {
  readonly side = 'pbx' as const;
  readonly noAnswer = RING_TIMEOUT_RESPONSE;
  private readonly pbx: PbxTarget;

  constructor(private readonly sip: SipSignaling, private readonly call: InboundCall, private readonly ourHost: string) {
    this.pbx = call.pbx;
  }

  /** FreeSWITCH offers the PBX's codecs, over SRTP when the PBX wants it */
  prepareLeg(media: MediaSession, leg: LegOptions): Promise<MediaLeg> {
    return media.createOffer({ codecs: this.pbx.codecs, srtp: this.pbx.srtp, telephoneEventPt: this.pbx.dtmf_payload_type }, leg);
  }

  get ringTimeoutMs(): number {
    return this.pbx.ring_timeout_seconds * 1000;
  }

  shapeOffer(sdp: string): string {
    return sdp;
  }

  dial(localSdp: string, events: DialEvents): Promise<SrfDialog> {
    const { pbx, destination, pbxHeaders } = this.call;
    return this.sip.createUAC(
      `sip:${destination}@${uriHostPort(pbx.host, pbx.port)};transport=${pbx.transport}`,
      {
        localSdp,
        headers: { ...callerIdentity(this.call.caller, this.ourHost), ...pbxHeaders },
        ...(pbx.auth ? { auth: credentialsUnlessEnded(pbx.auth, events.signal) } : {}),
      },
      {
        cbRequest: (err, sent) => {
          if (!err) events.onRequest(sent);
        },
        cbProvisional: (res) => events.onProvisional(res.status),
      },
    );
  }

  mapFailure(err: SipErrorLike): FailureOutcome {
    return { ...mapPbxFailureToMeta(err.status), cause: `pbx-${err.status}` };
  }
}
