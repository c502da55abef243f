import { iceLiteIntoMedia } from '../sdp/dtls-sdp';
import * as flags from './rtpengine/ng-flags';
import { RTPENGINE_LOST, type Rtpengine } from './rtpengine/rtpengine';
import type { MediaLeg } from './types';

/**
 * The Meta leg of a DTLS call (issue 11): a FreeSWITCH leg with plain RTP on its side, and
 * rtpengine between it and Meta doing ICE (controlling) and DTLS-SRTP (client). To the call
 * it is one leg: its SDP is rtpengine's toward Meta, bridging and DTMF are FreeSWITCH's, and
 * releasing it deletes the rtpengine call as well as the channel. If rtpengine is lost the
 * leg is gone with the cause `rtpengine-lost`. Nothing is ever renegotiated toward Meta.
 */
export class DtlsLeg implements MediaLeg {
  private released: Promise<void> | null = null;
  private answered = false;
  private readonly goneCbs: ((cause: string) => void)[] = [];
  private readonly forget: () => void;
  private isGone = false;

  private constructor(
    private readonly inner: MediaLeg,
    private readonly rtpe: Rtpengine,
    /** rtpengine's call-id for this leg */
    readonly rtpCallId: string,
    /** rtpengine's SDP toward Meta: our answer (inbound) or our offer (outbound) */
    readonly localSdp: string,
    private readonly direction: 'inbound' | 'outbound',
  ) {
    this.answered = direction === 'inbound';
    this.forget = rtpe.whileAlive(() => this.gone(RTPENGINE_LOST));
    inner.onGone((cause) => this.gone(cause));
  }

  /**
   * Meta's offer: through rtpengine to a FreeSWITCH leg answering it in plain RTP, and
   * FreeSWITCH's answer back through rtpengine. `answer(plainOffer)` makes that leg.
   */
  static async answering(rtpe: Rtpengine, callId: string, metaOffer: string, i: flags.Interfaces, answer: (plainOffer: string) => Promise<MediaLeg>): Promise<DtlsLeg> {
    let inner: MediaLeg | null = null;
    try {
      const plainOffer = await rtpe.sdp('offer', flags.inboundOffer(callId, iceLiteIntoMedia(metaOffer), i));
      inner = await answer(plainOffer);
      const toMeta = await rtpe.sdp('answer', flags.inboundAnswer(callId, inner.localSdp));
      return new DtlsLeg(inner, rtpe, callId, toMeta, 'inbound');
    } catch (err) {
      await Promise.allSettled([rtpe.delete(callId), inner?.release()]);
      throw err;
    }
  }

  /** FreeSWITCH's plain offer (`inner`) through rtpengine: the DTLS offer toward Meta */
  static async offering(rtpe: Rtpengine, callId: string, inner: MediaLeg, i: flags.Interfaces): Promise<DtlsLeg> {
    try {
      const toMeta = await rtpe.sdp('offer', flags.outboundOffer(callId, inner.localSdp, i));
      return new DtlsLeg(inner, rtpe, callId, toMeta, 'outbound');
    } catch (err) {
      await Promise.allSettled([rtpe.delete(callId), inner.release()]);
      throw err;
    }
  }

  get id(): string {
    return this.inner.id;
  }

  /** Meta's answer to our offer, once: through rtpengine to FreeSWITCH. No re-INVITE toward Meta, ever */
  async setRemoteSdp(sdp: string): Promise<void> {
    if (this.answered) throw new Error('the Meta leg of a DTLS call is not renegotiated');
    this.answered = true;
    const plain = await this.rtpe.sdp('answer', flags.outboundAnswer(this.rtpCallId, iceLiteIntoMedia(sdp)));
    await this.inner.setRemoteSdp(plain);
  }

  ready(): Promise<void> {
    return this.inner.ready();
  }

  bridge(other: MediaLeg): Promise<void> {
    return this.inner.bridge(other);
  }

  /** the early bridge of the leg underneath, where the media layer has one */
  bridgeEarly(other: MediaLeg): void {
    (this.inner as { bridgeEarly?(o: MediaLeg): void }).bridgeEarly?.(other);
  }

  sendDtmf(digits: string, durationMs: number): Promise<void> {
    return this.inner.sendDtmf(digits, durationMs);
  }

  onGone(cb: (cause: string) => void): void {
    this.goneCbs.push(cb);
  }

  release(): Promise<void> {
    this.released ??= (async () => {
      this.forget();
      await Promise.allSettled([this.rtpe.delete(this.rtpCallId), this.inner.release()]);
    })();
    return this.released;
  }

  private gone(cause: string): void {
    if (this.isGone || this.released) return;
    this.isGone = true;
    this.forget();
    for (const cb of this.goneCbs) cb(cause);
  }

  /** for logs and tests: which way the call went */
  get kind(): 'inbound' | 'outbound' {
    return this.direction;
  }
}
