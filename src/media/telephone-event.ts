import type { Logger } from '../util/logger';

/**
 * The RFC 4733 payload type a FreeSWITCH offer carries, checked against the one the far side's
 * config asks for (`pbxs[].dtmf_payload_type`).
 *
 * FreeSWITCH 1.10.12 cannot be told per call which payload type to offer for telephone-event:
 * an originated leg takes it from its sofia profile's `rfc2833-pt` (sofia_glue.c,
 * sofia_glue_attach_private: `mparams.te = profile->te`), and the channel variables
 * `rtp_2833_send_payload` / `rtp_2833_recv_payload` are read only when a session is recovered
 * (sofia_recover_callback, switch_core_media_recover_session). It also receives events only on
 * the payload type it offered (switch_rtp.c `recv_te`), so rewriting its offer would break the
 * PBX → Meta direction. What the gateway can do is verify the offer and say so, once per
 * server and mismatch, when the profile's type is not the configured one.
 */
export function offeredTelephoneEventPt(sdp: string): number | null {
  const m = /^a=rtpmap:(\d+) telephone-event\/8000/im.exec(sdp);
  return m ? Number(m[1]) : null;
}

export class TelephoneEventCheck {
  private readonly warned = new Set<string>();

  constructor(private readonly log: Logger) {}

  /** `wanted` is the configured payload type (none: nothing to check) */
  check(server: string, profile: string, wanted: number | undefined, offerSdp: string): void {
    if (wanted === undefined) return;
    const offered = offeredTelephoneEventPt(offerSdp);
    if (offered === wanted) return;
    const key = `${server}|${wanted}|${offered}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(
      { server, profile, dtmf_payload_type: wanted, offered },
      offered === null
        ? `FreeSWITCH's offer to the PBX has no telephone-event: RFC 4733 DTMF will not reach the PBX (check dtmf-type in sofia profile ${profile})`
        : `FreeSWITCH offers telephone-event on payload type ${offered}, not the configured dtmf_payload_type ${wanted}: FreeSWITCH sets it per sofia profile (rfc2833-pt in ${profile}), not per call; the PBX is expected to follow the offer (RFC 3264)`,
    );
  }
}
