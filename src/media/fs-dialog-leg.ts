import type Srf from 'drachtio-srf';
import { isDialogUp } from '../sip/srf-types';
import { withTimeout } from '../util/time';
import type { FsMediaServer } from './fsmrf-types';
import type { MediaLeg } from './types';

type Dialog = Srf.Dialog;
type Request = Srf.SrfRequest;

const RELEASE_TIMEOUT_MS = 3000;
/** after uuid_kill: long enough for a healthy channel to be destroyed and gone from FreeSWITCH's list */
const STUCK_CHECK_MS = 2000;

/**
 * A FreeSWITCH channel the gateway holds as a plain SIP dialog through drachtio, driven
 * with API commands on the media server's one event socket. No per-channel event socket:
 * FreeSWITCH's hangup cause (MEDIA_TIMEOUT from a watchdog) comes in its BYE's Reason header.
 * The two kinds of leg differ only in how the dialog is set up (answering-leg.ts, originated-leg.ts).
 */
export abstract class FsDialogLeg implements MediaLeg {
  protected dialog: Dialog | null = null;
  protected gone = false;
  protected released: Promise<void> | null = null;
  private readonly goneCallbacks: ((cause: string) => void)[] = [];
  private onClosed: (() => void) | null = null;
  private onStuck: (() => void) | null = null;
  /** bridged before the far end answered (bridgeEarly), until bridge() takes the outcome */
  private earlyBridge: { peer: FsDialogLeg; done: Promise<void> } | null = null;

  protected constructor(protected readonly ms: FsMediaServer, readonly id: string) {}

  abstract get localSdp(): string;

  /** a re-INVITE with the far end's new SDP (hold, resume, new address) */
  async setRemoteSdp(sdp: string): Promise<void> {
    if (!this.dialog) throw new Error('leg has no dialog yet');
    await this.dialog.modify(sdp);
  }

  /** an answered channel is ready at once; an originated one when its originate job ends */
  ready(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * uuid_bridge with any channel on the same FreeSWITCH. Both must be ready: FreeSWITCH
   * answers uuid_bridge +OK at once and, if a channel is still being originated, hangs
   * the other one up (DESTINATION_OUT_OF_ORDER) a moment later. The first bridge(other)
   * after bridgeEarly(other) is the early bridge's outcome; later ones (a transfer putting
   * the call back on this leg) bridge again. A bridge with a third leg ends the early one:
   * it waits for the early uuid_bridge's job to end (jobs run in threads of their own), and a
   * later bridge back to the early peer is a new uuid_bridge, not the early outcome again.
   */
  bridge(other: MediaLeg): Promise<void> {
    const early = this.earlyBridge;
    if (early && early.peer === other) {
      this.earlyBridge = early.peer.earlyBridge = null;
      return early.done;
    }
    const superseded = [this, other].flatMap((leg) => (leg instanceof FsDialogLeg ? leg.dropEarlyBridge() : []));
    if (superseded.length === 0) return this.uuidBridge(other);
    return Promise.allSettled(superseded).then(() => this.uuidBridge(other));
  }

  /** forget this leg's early bridge (both ends); what is left of it to wait for, if anything */
  private dropEarlyBridge(): Promise<void>[] {
    const early = this.earlyBridge;
    if (!early) return [];
    this.earlyBridge = early.peer.earlyBridge = null;
    return [early.done];
  }

  /**
   * Bridge with `other` before the far end has answered, if one of the two can be held in
   * early media until then (an offering leg, originated-leg.ts): FreeSWITCH's bridge is
   * then already running when the far end's first audio comes with its 200 OK, and none
   * of it is lost to the bridge starting (issue 9). Otherwise nothing happens here and
   * bridge() bridges later. A failure shows in bridge(other).
   */
  bridgeEarly(other: MediaLeg): void {
    if (!(other instanceof FsDialogLeg) || this.earlyBridge || other.earlyBridge) return;
    const feeder = other.holdEarly() ? this : this.holdEarly() ? other : null;
    if (!feeder) return;
    const done = feeder.feedComfortNoise().then(() => this.uuidBridge(other));
    done.catch(() => undefined); // seen by bridge(), if the call gets that far
    this.earlyBridge = { peer: other, done };
    other.earlyBridge = { peer: this, done };
  }

  /** answer the far end provisionally so FreeSWITCH holds the leg in early media; false if it cannot */
  protected holdEarly(): boolean {
    return false;
  }

  /**
   * Comfort noise from this leg into the bridge while its far end is silent (as yet, all of
   * the ringing): the held leg then gets frames at this leg's rate from the start, and its
   * resampler is running before the far end's first packet. Started by the first real frame
   * instead, it flushes the held leg's RTP read buffer (switch_core_media.c, RESAMPLE_EVENT
   * → audio sync) and drops what the far end has just sent.
   */
  private async feedComfortNoise(): Promise<void> {
    await this.apiOrNothing(`uuid_setvar ${this.id} bridge_generate_comfort_noise true`, 2000);
  }

  private async uuidBridge(other: MediaLeg): Promise<void> {
    await Promise.all([this.ready(), other.ready()]);
    // a background job: uuid_bridge returns only once FreeSWITCH has moved both channels (tens
    // of ms, more for a leg in early media), and as an api command it would hold up every other
    // command on the media server's one event socket meanwhile (T2: set-up p50 17 ms → 1.2 s at 20 cps)
    const job = new Promise<string>((resolve) => this.ms.conn.bgapi(`uuid_bridge ${other.id} ${this.id}`, (evt) => resolve(evt.getBody())));
    const body = await withTimeout(job, 5000, '-ERR timeout');
    if (!body.startsWith('+OK')) throw new Error(`uuid_bridge: ${body.trim()}`);
  }

  onGone(cb: (cause: string) => void): void {
    this.goneCallbacks.push(cb);
  }

  async sendDtmf(digits: string, durationMs: number): Promise<void> {
    await withTimeout(this.ms.api(`uuid_send_dtmf ${this.id} ${digits}@${durationMs}`), 2000, '');
  }

  release(): Promise<void> {
    this.released ??= this.doRelease().finally(() => this.closed());
    return this.released;
  }

  /** `cb` runs once when the channel is gone, whoever ended it (the media server's leg count) */
  whenClosed(cb: () => void): void {
    this.onClosed = cb;
  }

  /** `cb` runs if FreeSWITCH still has the channel after our BYE went unanswered and uuid_kill */
  whenStuck(cb: () => void): void {
    this.onStuck = cb;
  }

  private closed(): void {
    const cb = this.onClosed;
    this.onClosed = null;
    cb?.();
  }

  /** the dialog is up: a BYE from FreeSWITCH means it ended the channel itself */
  protected adoptDialog(dialog: Dialog): void {
    this.dialog = dialog;
    // FreeSWITCH's BYE may have come before the dialog reached us
    if (!isDialogUp(dialog)) {
      this.markGone('NORMAL_CLEARING');
      return;
    }
    dialog.on('destroy', (bye: Request) => this.markGone(/text="([^"]+)"/.exec(bye?.get?.('Reason') ?? '')?.[1] ?? 'NORMAL_CLEARING'));
  }

  protected markGone(cause: string): void {
    if (this.gone) return;
    this.gone = true;
    this.closed();
    if (!this.released) for (const cb of this.goneCallbacks) cb(cause);
  }

  protected async doRelease(): Promise<void> {
    if (this.gone || !this.dialog) return;
    const dialog = this.dialog;
    const bye = new Promise<boolean>((resolve) => {
      try {
        dialog.destroy(undefined, (err?: Error) => resolve(!err));
      } catch {
        resolve(false); // drachtio-srf throws when it has no drachtio-server connection
      }
    });
    // no answer to our BYE (drachtio-server down, FreeSWITCH missed it): the channel still goes
    if (!(await withTimeout(bye, RELEASE_TIMEOUT_MS, false))) {
      await this.apiOrNothing(`uuid_kill ${this.id}`, 1000);
      setTimeout(() => void this.reportIfStuck(), STUCK_CHECK_MS).unref();
    }
  }

  /**
   * A channel deaf to both our BYE and uuid_kill (a thread of FreeSWITCH's stuck) is beyond
   * the gateway: it is told. Such a channel is hung up but never destroyed: uuid_exists
   * already says false (it finds no channel that is up), but FreeSWITCH's channel list, which
   * loses a channel only when it is destroyed, still has it (seen under overload).
   */
  private async reportIfStuck(): Promise<void> {
    const list = await this.apiOrNothing(`show channels like ${this.id}`, 2000);
    if (list.split('\n').some((row) => row.startsWith(`${this.id},`))) this.onStuck?.();
  }

  /** an API command whose answer may fail or never come: its body, or '' */
  private apiOrNothing(cmd: string, timeoutMs: number): Promise<string> {
    return withTimeout(this.ms.api(cmd).catch(() => ''), timeoutMs, '');
  }
}
