import { randomUUID } from 'node:crypto';
import { isDtlsSdp } from '../sdp/dtls-sdp';
import type { Logger } from '../util/logger';
import { DtlsLeg } from './dtls-leg';
import type { Interfaces } from './rtpengine/ng-flags';
import type { Rtpengine } from './rtpengine/rtpengine';
import type { LegOptions, MediaLeg, MediaService, MediaSession, OfferOptions } from './types';

/** a SIP outcome for the call layer: the caller gets this status */
function sipError(status: number, reason: string, detail: string): Error {
  return Object.assign(new Error(`${status} ${reason}: ${detail}`), { name: 'SipError', status, reason });
}

/**
 * A media session whose Meta leg goes through rtpengine when the call is a DTLS one (issue
 * 11): Meta's DTLS offer (inbound), or `keyExchange: 'dtls'` asked for the offer (outbound).
 * Every other leg is the media server's own, untouched.
 */
export class DtlsMediaSession implements MediaSession {
  constructor(private readonly inner: MediaSession, private readonly rtpe: Rtpengine | null, private readonly interfaces: Interfaces, private readonly log: Logger) {}

  get server(): string {
    return this.inner.server;
  }

  answerOffer(offer: string, leg: LegOptions): Promise<MediaLeg> {
    if (leg.tag !== 'meta' || !isDtlsSdp(offer)) return this.inner.answerOffer(offer, leg);
    const rtpe = this.usable(488, 'Not Acceptable Here');
    const callId = randomUUID();
    return DtlsLeg.answering(rtpe, callId, offer, this.interfaces, (plain) => this.inner.answerOffer(plain, leg));
  }

  async createOffer(opts: OfferOptions, leg: LegOptions): Promise<MediaLeg> {
    if (opts.keyExchange !== 'dtls') return this.inner.createOffer(opts, leg);
    const rtpe = this.usable(503, 'Service Unavailable');
    // FreeSWITCH's side of rtpengine is plain RTP on loopback or the private network
    const plain = await this.inner.createOffer({ ...opts, srtp: false, keyExchange: 'sdes' }, leg);
    return DtlsLeg.offering(rtpe, randomUUID(), plain, this.interfaces);
  }

  private usable(status: number, reason: string): Rtpengine {
    if (!this.rtpe) {
      this.log.warn('DTLS call, but no rtpengine is configured (rtpengine.address): refused');
      throw sipError(status, reason, 'no rtpengine configured for DTLS-SRTP');
    }
    if (!this.rtpe.up) throw sipError(503, 'Service Unavailable', 'rtpengine is not answering');
    return this.rtpe;
  }
}

/** the media servers, with DTLS calls' Meta legs through rtpengine (null: none configured) */
export class DtlsMediaService implements MediaService {
  constructor(private readonly inner: MediaService, private readonly rtpe: Rtpengine | null, private readonly interfaces: Interfaces, private readonly log: Logger) {}

  allocate(): MediaSession | 'busy' | null {
    const s = this.inner.allocate();
    return s && s !== 'busy' ? new DtlsMediaSession(s, this.rtpe, this.interfaces, this.log) : s;
  }

  claimLeg(legId: string, req: unknown, res: unknown): boolean {
    return this.inner.claimLeg(legId, req, res);
  }

  isMediaServerAddress(address: string): boolean {
    return this.inner.isMediaServerAddress(address);
  }

  healthyCount(): number {
    return this.inner.healthyCount();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
