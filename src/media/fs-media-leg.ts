import { withTimeout } from '../util/time';
import type { FsEndpoint } from './fsmrf-types';
import type { MediaLeg } from './types';

const RELEASE_TIMEOUT_MS = 3000;

/**
 * One FreeSWITCH endpoint as a MediaLeg. fsmrf's `destroy()` waits for FreeSWITCH's BYE;
 * when FreeSWITCH has already hung the channel up (a bridged partner ended) that BYE never
 * comes and the promise never settles, so release() is bounded and swallows errors.
 */
export class FsMediaLeg implements MediaLeg {
  private gone = false;
  private cause = 'NORMAL_CLEARING';
  private released: Promise<void> | null = null;
  private goneCallbacks: ((cause: string) => void)[] = [];

  constructor(private readonly ep: FsEndpoint) {
    // the hangup cause (MEDIA_TIMEOUT from a watchdog): fsmrf does not subscribe to it
    ep.conn?.subscribe('CHANNEL_HANGUP');
    ep.conn?.on(`esl::event::CHANNEL_HANGUP::${ep.uuid}`, (evt) => {
      this.cause = evt.getHeader('Hangup-Cause') ?? this.cause;
    });
    ep.on('destroy', () => {
      if (this.gone) return;
      this.gone = true;
      if (!this.released) for (const cb of this.goneCallbacks) cb(this.cause);
    });
  }

  get id(): string {
    return this.ep.uuid;
  }

  get localSdp(): string {
    return this.ep.local.sdp;
  }

  async setRemoteSdp(sdp: string): Promise<void> {
    await this.ep.modify(sdp);
  }

  /** uuid_bridge with any channel on the same FreeSWITCH */
  async bridge(other: MediaLeg): Promise<void> {
    const done = await withTimeout(this.ep.bridge(other.id).then(() => true), 5000, false);
    if (!done) throw new Error('uuid_bridge: no answer from FreeSWITCH');
  }

  onGone(cb: (cause: string) => void): void {
    this.goneCallbacks.push(cb);
  }

  async sendDtmf(digits: string, durationMs: number): Promise<void> {
    await withTimeout(this.ep.api('uuid_send_dtmf', `${this.ep.uuid} ${digits}@${durationMs}`), 2000, undefined);
  }

  release(): Promise<void> {
    this.released ??= this.doRelease();
    return this.released;
  }

  private async doRelease(): Promise<void> {
    if (this.gone) return;
    await withTimeout(this.ep.destroy().catch(() => undefined), RELEASE_TIMEOUT_MS, undefined);
  }
}
