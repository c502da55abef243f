import type { LegOptions, MediaLeg, MediaSession, OfferOptions } from '../../../src/media/types';

/**
 * Typed fakes of the media layer (src/media/types.ts): legs that record what the call
 * did to them. A leg is handed over at once, or held until the test releases it, so a
 * call can end while its legs are still being made.
 */

export class FakeLeg implements MediaLeg {
  readonly remoteSdps: string[] = [];
  readonly dtmf: string[] = [];
  bridgedTo: string | null = null;
  releases = 0;
  private goneCbs: ((cause: string) => void)[] = [];
  /** how setRemoteSdp behaves: resolve, or fail with a drachtio-like SipError status */
  failRemoteSdp: number | null = null;
  /** FreeSWITCH's SDP after each setRemoteSdp (its answer to a re-INVITE) */
  answerFor: (remote: string, n: number) => string = (_remote, n) => `${this.initialSdp.replace(/^o=(\S+) (\S+) (\d+)/m, (_m, u, s) => `o=${u} ${s} ${n + 1}`)}`;
  private current: string;

  constructor(readonly id: string, readonly options: LegOptions, private readonly initialSdp: string, readonly kind: 'answer' | 'offer', readonly input: string | OfferOptions) {
    this.current = initialSdp;
  }

  get localSdp(): string {
    return this.current;
  }

  async setRemoteSdp(sdp: string): Promise<void> {
    if (this.failRemoteSdp) {
      throw Object.assign(new Error(`${this.failRemoteSdp} refused`), { name: 'SipError', status: this.failRemoteSdp });
    }
    this.remoteSdps.push(sdp);
    // the first remote SDP of an offering leg is the answer to its own offer: its SDP stays
    if (this.kind === 'answer' || this.remoteSdps.length > 1) this.current = this.answerFor(sdp, this.remoteSdps.length);
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  /** while set, bridge() waits for it (FreeSWITCH still bridging) */
  bridgeGate: Promise<void> | null = null;

  async bridge(other: MediaLeg): Promise<void> {
    if (this.bridgeGate) await this.bridgeGate;
    this.bridgedTo = other.id;
    if (other instanceof FakeLeg) other.bridgedTo = this.id;
  }

  /** the leg bridgeEarly() was asked for, if any */
  earlyWith: string | null = null;

  bridgeEarly(other: MediaLeg): void {
    this.earlyWith = other.id;
  }

  async release(): Promise<void> {
    this.releases++;
  }

  onGone(cb: (cause: string) => void): void {
    this.goneCbs.push(cb);
  }

  /** FreeSWITCH ends the channel on its own */
  gone(cause: string): void {
    for (const cb of this.goneCbs) cb(cause);
  }

  async sendDtmf(digits: string): Promise<void> {
    this.dtmf.push(digits);
  }
}

export const FS_ANSWER_SDP = 'v=0\r\no=FreeSWITCH 100 1 IN IP4 127.0.0.1\r\ns=FreeSWITCH\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 31000 RTP/SAVP 111 126\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=sendrecv\r\n';
export const FS_OFFER_SDP = 'v=0\r\no=FreeSWITCH 200 1 IN IP4 127.0.0.1\r\ns=FreeSWITCH\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 31002 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n';

interface Held {
  leg: FakeLeg;
  resolve: (l: FakeLeg) => void;
  reject: (e: Error) => void;
}

export class FakeMediaSession implements MediaSession {
  readonly server = 'fake-fs:8021';
  readonly legs: FakeLeg[] = [];
  /** hold legs until the test calls handOver() / failLeg() */
  hold = false;
  private held: Held[] = [];

  answerOffer(offer: string, leg: LegOptions): Promise<MediaLeg> {
    return this.make(new FakeLeg(`answer-${this.legs.length + 1}`, leg, FS_ANSWER_SDP, 'answer', offer));
  }

  createOffer(opts: OfferOptions, leg: LegOptions): Promise<MediaLeg> {
    return this.make(new FakeLeg(`offer-${this.legs.length + 1}`, leg, FS_OFFER_SDP, 'offer', opts));
  }

  private make(leg: FakeLeg): Promise<FakeLeg> {
    this.legs.push(leg);
    if (!this.hold) return Promise.resolve(leg);
    return new Promise((resolve, reject) => this.held.push({ leg, resolve, reject }));
  }

  /** hand the held legs to the call */
  handOver(): void {
    const h = this.held;
    this.held = [];
    for (const x of h) x.resolve(x.leg);
  }

  get heldCount(): number {
    return this.held.length;
  }

  byTag(tag: 'meta' | 'pbx'): FakeLeg {
    const l = this.legs.find((x) => x.options.tag === tag);
    if (!l) throw new Error(`no ${tag} leg`);
    return l;
  }
}
