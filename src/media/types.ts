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
  bridge(other: MediaLeg): Promise<void>;
  /** hang the channel up; idempotent, never hangs longer than a few seconds, never throws */
  release(): Promise<void>;
  /** called once if FreeSWITCH ends the channel on its own (server down, RTP timeout, ...) */
  onGone(cb: () => void): void;
}

export interface OfferOptions {
  /** FreeSWITCH codec names, preferred first */
  codecs: readonly string[];
  /** must be false: FreeSWITCH's 3pcc offers carry no a=crypto (use createSecureOffer) */
  srtp: false;
}

export interface MediaSession {
  readonly server: string;
  /** a leg that answers the far end's offer (Meta's SDES Opus offer) */
  answerOffer(offer: string, tag: string): Promise<MediaLeg>;
  /** a leg that makes a plain RTP offer with these codecs (toward the PBX) */
  createOffer(opts: OfferOptions, tag: string): Promise<MediaLeg>;
  /** a leg that makes an SDES-SRTP offer with these codecs (toward Meta, or an SRTP PBX) */
  createSecureOffer(codecs: readonly string[], tag: string): Promise<MediaLeg>;
}

export interface MediaService {
  /** a healthy media server for a new call, or null when none is up */
  allocate(): MediaSession | null;
  /** an INVITE a media server sent for a leg we originated; false if it is not one of ours */
  claimLeg(legId: string, req: unknown, res: unknown): boolean;
  healthyCount(): number;
  close(): Promise<void>;
}
