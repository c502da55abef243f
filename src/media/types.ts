/**
 * What the call layer knows of media: legs on a media server, created from an offer (the
 * Meta leg) or as an offer (the PBX leg), bridged together, released once. No fsmrf here.
 */

export interface MediaLeg {
  /** FreeSWITCH channel uuid */
  readonly id: string;
  /** our SDP toward the far end of this leg (an answer or an offer) */
  readonly localSdp: string;
  /** give the leg the far end's SDP (the answer to our offer) */
  setRemoteSdp(sdp: string): Promise<void>;
  /** resolves once FreeSWITCH can bridge the channel (rejects if it never will) */
  ready(): Promise<void>;
  bridge(other: MediaLeg): Promise<void>;
  /**
   * start bridging with `other` now, before the far end has answered, where the media
   * server can (so nothing the far end sends with its answer is lost); bridge(other) then
   * waits for this bridge. Where it cannot, nothing happens and bridge(other) bridges.
   */
  bridgeEarly(other: MediaLeg): void;
  /** hang the channel up; idempotent, never hangs longer than a few seconds, never throws */
  release(): Promise<void>;
  /** called once if FreeSWITCH ends the channel on its own, with its cause (MEDIA_TIMEOUT, ...) */
  onGone(cb: (cause: string) => void): void;
  /** RFC 4733 events out of this leg */
  sendDtmf(digits: string, durationMs: number): Promise<void>;
}

/** which side a leg faces, and its watchdog / comfort-noise settings */
export interface LegOptions {
  tag: 'meta' | 'pbx';
  /** FreeSWITCH ends the leg when no RTP arrives this long (0: never) */
  rtpTimeoutSeconds: number;
  /** while this side is silent, send comfort noise to the other side */
  comfortNoise: boolean;
}

export interface OfferOptions {
  /** FreeSWITCH codec names, preferred first */
  codecs: readonly string[];
  /** SDES-SRTP (AES_CM_128_HMAC_SHA1_80) */
  srtp: boolean;
  /** toward Meta: 'dtls' puts rtpengine's DTLS-SRTP + ICE in front of a plain FreeSWITCH offer (issue 11) */
  keyExchange?: 'sdes' | 'dtls';
  /** RFC 4733 payload type the far side's config asks for; the offer is checked against it */
  telephoneEventPt?: number;
}

export interface MediaSession {
  readonly server: string;
  /** a leg that answers the far end's offer (Meta's SDES Opus offer) */
  answerOffer(offer: string, leg: LegOptions): Promise<MediaLeg>;
  /** a leg that makes an offer with these codecs (toward the PBX, or Meta) */
  createOffer(opts: OfferOptions, leg: LegOptions): Promise<MediaLeg>;
}

export interface MediaService {
  /** a healthy media server for a new call; 'busy' when each one up is setting up as many legs as it may, null when none is up */
  allocate(): MediaSession | 'busy' | null;
  /** an INVITE a media server sent for a leg we originated; false if it is not one of ours */
  claimLeg(legId: string, req: unknown, res: unknown): boolean;
  /** is `address` the SIP address of a connected media server (only they send `X-WA-Leg-Id`)? */
  isMediaServerAddress(address: string): boolean;
  healthyCount(): number;
  close(): Promise<void>;
}
