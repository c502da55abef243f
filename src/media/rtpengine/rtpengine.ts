import type { Logger } from '../../util/logger';
import type { NgControl, NgDict } from './ng-client';

/** the DTLS terminator as admission and readiness see it: not configured, answering, or not */
export type RtpengineState = 'off' | 'up' | 'down';

/** the CDR cause of a DTLS call whose rtpengine stopped answering (issue 11, acceptance 4) */
export const RTPENGINE_LOST = 'rtpengine-lost';

/** a failed ping this many times in a row (one a second): rtpengine counts as lost */
const LOST_AFTER_FAILED_PINGS = 2;

/**
 * rtpengine, kept watched (issue 11): an ng `ping` every `pingMs`; after two unanswered in a
 * row it is down, the DTLS calls on it are told (they end, cause `rtpengine-lost`) and new
 * DTLS calls are refused with 503 until a ping is answered again. SDES calls never touch it.
 */
export class Rtpengine {
  private upNow = false;
  private failed = 0;
  private timer: NodeJS.Timeout | undefined;
  private pinging = false;
  private readonly lostListeners = new Set<() => void>();
  private readonly stateListeners: ((up: boolean) => void)[] = [];

  constructor(private readonly ng: NgControl, private readonly log: Logger, private readonly pingMs = 1000) {}

  get up(): boolean {
    return this.upNow;
  }

  /** ping now and every pingMs from now on; resolves after the first ping */
  async start(): Promise<void> {
    await this.ping();
    if (!this.upNow) this.log.warn('rtpengine does not answer its ng ping: DTLS calls get 503 until it does');
    this.timer = setInterval(() => void this.ping(), this.pingMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.ng.close();
  }

  /** called with the new state each time rtpengine comes up or goes down (metrics) */
  onState(cb: (up: boolean) => void): void {
    this.stateListeners.push(cb);
  }

  /** run `cb` once if rtpengine is lost while the returned function has not been called */
  whileAlive(cb: () => void): () => void {
    this.lostListeners.add(cb);
    return () => this.lostListeners.delete(cb);
  }

  async command(command: string, args: NgDict): Promise<NgDict> {
    return this.ng.request(command, args);
  }

  /** the SDP of an offer or answer; a reply without one is an error */
  async sdp(command: 'offer' | 'answer', args: NgDict): Promise<string> {
    const reply = await this.ng.request(command, args);
    if (typeof reply.sdp !== 'string' || !reply.sdp) throw new Error(`rtpengine ${command}: no SDP in the reply`);
    return reply.sdp;
  }

  /** forget the call; never throws (a call rtpengine no longer has is gone anyway) */
  async delete(callId: string): Promise<void> {
    try {
      await this.ng.request('delete', { 'call-id': callId });
    } catch (err) {
      this.log.debug({ rtpCallId: callId, err: (err as Error).message }, 'rtpengine delete failed');
    }
  }

  private async ping(): Promise<void> {
    if (this.pinging) return;
    this.pinging = true;
    try {
      const reply = await this.ng.request('ping');
      if (reply.result !== 'pong') throw new Error(`ping answered ${String(reply.result)}`);
      this.failed = 0;
      this.set(true, '');
    } catch (err) {
      this.failed++;
      if (this.failed >= LOST_AFTER_FAILED_PINGS || !this.upNow) this.set(false, (err as Error).message);
    } finally {
      this.pinging = false;
    }
  }

  private set(up: boolean, why: string): void {
    if (up === this.upNow) return;
    this.upNow = up;
    if (up) {
      this.log.info('rtpengine answers: DTLS calls are taken');
    } else {
      const calls = this.lostListeners.size;
      this.log.error({ why, calls }, 'rtpengine lost: its DTLS calls end, new DTLS calls get 503 until it is back');
      const lost = [...this.lostListeners];
      this.lostListeners.clear();
      for (const cb of lost) cb();
    }
    for (const cb of this.stateListeners) cb(up);
  }
}
