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
  srtp: boolean;
}

export interface MediaSession {
  readonly server: string;
  /** a leg that answers the far end's offer (Meta's SDES Opus offer) */
  answerOffer(offer: string, tag: string): Promise<MediaLeg>;
  /** a leg that makes an offer (toward the PBX) */
  createOffer(opts: OfferOptions, tag: string): Promise<MediaLeg>;
}

export interface MediaService {
  /** a healthy media server for a new call, or null when none is up */
  allocate(): MediaSession | null;
  healthyCount(): number;
  close(): Promise<void>;
}
