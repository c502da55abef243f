import { randomUUID } from 'node:crypto';
import type { CdrRecord, CdrSink } from '../cdr/cdr';
import type { MediaConfig } from '../config/types';
import type { LegOptions, MediaLeg } from '../media/types';
import { RTPENGINE_LOST } from '../media/rtpengine/rtpengine';
import { isDialogUp, type SipSignaling, type SrfDialog, type SrfRequest } from '../sip/srf-types';
import type { Logger } from '../util/logger';
import type { RateLimitedLog } from '../util/rate-limited-log';
import { withTimeout } from '../util/time';
import { CallState, StateMachine } from './call-state';
import type { TransferHost } from './blind-transfer';
import { OutgoingInvite } from './outgoing-invite';
import { reasonHeader } from './reason-header';
import type { CallRegistry } from './registry';

export type Side = 'meta' | 'pbx' | 'gateway';

export interface SessionDeps {
  sip: SipSignaling;
  media: MediaConfig;
  registry: CallRegistry;
  cdr: CdrSink;
  log: Logger;
  /** the far ends' protocol errors, logged at most once per source and reason an interval */
  refusals?: RateLimitedLog;
}

/** What the CDR says of a call, filled in as the call goes. */
export interface CallFacts {
  direction: CdrRecord['direction'];
  businessNumber: string;
  whatsappUser: string;
  wacid: string | null;
  pbx: string;
  pbxDestination: string;
  metaCallId: string | null;
  pbxCallId: string | null;
  mediaServer: string | null;
  metaCallDuration: number | null;
  metaWarning: string | null;
}

/**
 * One call, both legs (STYLE habit 3). It owns the two SIP dialogs and the two media
 * legs, and ends exactly once: `end()` from whichever side goes first releases all of
 * them together, writes the CDR line and leaves the registry. Direction-specific set-up
 * lives in the subclasses; teardown is the same for both.
 */
export abstract class CallSession {
  readonly id = randomUUID();
  protected readonly log: Logger;
  protected readonly sm: StateMachine;
  /** the established dialog toward each side */
  protected readonly dialogs: Record<'meta' | 'pbx', SrfDialog | null> = { meta: null, pbx: null };
  /** the INVITE out toward the far side, until its final response */
  protected readonly outgoing = new OutgoingInvite();
  /** aborted as the call starts ending: every step of set-up checks it before it sends */
  private readonly abandon = new AbortController();
  protected readonly legs: MediaLeg[] = [];
  private readonly inviteAt = new Date();
  private answerAt: Date | null = null;
  private finalStatus = 0;
  private ended: Promise<void> | null = null;
  private readonly goneCauses = new Map<'meta' | 'pbx', string>();
  private goneTimer: NodeJS.Timeout | undefined;
  /** the last blind transfer that completed: the target's extension, its dialog's Call-ID, when it answered */
  private transferred: { to: string; callId: string; at: Date } | null = null;

  constructor(protected readonly deps: SessionDeps, protected readonly facts: CallFacts, logBindings: Record<string, unknown>) {
    this.log = deps.log.child({ call: this.id, dir: facts.direction, ...logBindings });
    this.sm = new StateMachine((from, to) => this.log.info({ from, to }, 'call state'));
    deps.registry.add({
      id: this.id,
      direction: facts.direction,
      businessNumber: facts.businessNumber,
      mediaServer: () => this.facts.mediaServer,
      end: (by, cause) => this.end(by, cause),
    });
  }

  /** the call's one cancellation signal (caller's CANCEL or BYE, ring timeout, drain, media failure) */
  protected get signal(): AbortSignal {
    return this.abandon.signal;
  }

  get state(): CallState {
    return this.sm.state;
  }

  /** watchdog and comfort-noise settings of the leg facing `side` */
  protected legOptions(side: 'meta' | 'pbx'): LegOptions {
    const m = this.deps.media;
    return side === 'meta'
      ? { tag: 'meta', rtpTimeoutSeconds: m.meta_rtp_timeout_seconds, comfortNoise: false }
      : { tag: 'pbx', rtpTimeoutSeconds: m.pbx_rtp_timeout_seconds, comfortNoise: m.comfort_noise };
  }

  /** keep a media leg; if the call ended while it was being made, release it at once */
  protected async adopt(leg: Promise<MediaLeg>, side: 'meta' | 'pbx'): Promise<MediaLeg | null> {
    const l = await leg;
    if (this.sm.ending) {
      await l.release();
      return null;
    }
    this.legs.push(l);
    this.watchLeg(l, side);
    return l;
  }

  /** FreeSWITCH ending a leg of the call ends the call (not a leg a transfer has replaced; see transferHost) */
  private watchLeg(l: MediaLeg, side: 'meta' | 'pbx'): void {
    l.onGone((cause) => {
      if (!this.legs.includes(l)) return;
      if (side === 'pbx' && this.pbxHold) this.pbxHold.legGone = cause;
      else this.legGone(side, cause);
    });
  }

  /**
   * FreeSWITCH ended a leg on its own. Bridged legs end together, the partner with
   * NORMAL_CLEARING, so the causes of both are gathered for a moment: a media watchdog
   * (SPEC M11, MEDIA_TIMEOUT) on either leg names the call's cause.
   */
  private legGone(side: 'meta' | 'pbx', cause: string): void {
    this.goneCauses.set(side, cause);
    if (this.goneTimer || this.sm.ending) return;
    this.goneTimer = setTimeout(() => {
      const timedOut = [...this.goneCauses].find(([, c]) => c === 'MEDIA_TIMEOUT');
      // the DTLS terminator of a DTLS call going away names itself (src/media/dtls-leg.ts)
      const lost = [...this.goneCauses.values()].find((c) => c === RTPENGINE_LOST);
      const why = lost ?? (timedOut ? `${timedOut[0]}-media-timeout` : `media-server-ended-${side}-leg: ${cause}`);
      void this.end('gateway', why);
    }, 150);
  }

  protected markAnswered(): void {
    this.answerAt = new Date();
    this.finalStatus = 200;
    this.sm.to(CallState.Answered);
  }

  protected setFinalStatus(status: number): void {
    if (!this.finalStatus) this.finalStatus = status;
  }

  /** watch an established dialog: the far end's BYE ends the call */
  protected watchDialog(dialog: SrfDialog, side: 'meta' | 'pbx'): void {
    // a BYE that came right behind the ACK may already have ended the dialog
    if (!isDialogUp(dialog)) {
      void this.end(side, 'bye');
      return;
    }
    this.dialogs[side] = dialog;
    dialog.on('destroy', (bye: SrfRequest) => {
      if (this.dialogs[side] && this.dialogs[side] !== dialog) return; // a dialog a transfer has replaced
      this.dialogs[side] = null;
      if (side === 'pbx' && this.pbxHold) {
        this.pbxHold.bye = true;
        return;
      }
      const d = side === 'meta' ? Number(bye?.get?.('x-wa-meta-call-duration') ?? NaN) : NaN;
      if (Number.isFinite(d) && d >= 0) this.facts.metaCallDuration = d;
      void this.end(side, 'bye');
    });
  }

  /** a blind transfer ringing its target: the PBX side's BYE and leg end wait for the outcome */
  private pbxHold: { bye: boolean; legGone: string | null } | null = null;

  /**
   * What a blind transfer (blind-transfer.ts) may do to this call: hold the PBX side while the
   * target rings (on failure the held BYE or leg end then ends the call), and put the target's
   * dialog and leg in place of the PBX side's.
   */
  protected transferHost(): TransferHost {
    return {
      log: this.log,
      legOptions: this.legOptions('pbx'),
      ending: () => this.sm.ending,
      onEnd: (fn) => this.onEnd(fn),
      holdPbx: () => {
        const hold = { bye: false, legGone: null as string | null };
        this.pbxHold = hold;
        return () => {
          if (this.pbxHold !== hold) return; // replaced (or held anew)
          this.pbxHold = null;
          if (hold.bye) void this.end('pbx', 'bye');
          else if (hold.legGone) this.legGone('pbx', hold.legGone);
        };
      },
      replacePbx: (oldLeg, next) => {
        this.pbxHold = null;
        this.transferred = { to: next.extension, callId: next.dialog.sip.callId, at: new Date() };
        const i = this.legs.indexOf(oldLeg);
        if (i >= 0) this.legs.splice(i, 1);
        this.legs.push(next.leg);
        this.watchLeg(next.leg, 'pbx');
        this.dialogs.pbx = null;
        this.watchDialog(next.dialog, 'pbx');
      },
      fail: (cause) => void this.end('gateway', cause),
    };
  }

  private readonly endHooks: (() => void)[] = [];

  /** run `fn` when the call starts ending (to clear timers) */
  protected onEnd(fn: () => void): void {
    this.endHooks.push(fn);
  }

  /** end the call once, from any side; resolves when everything is released */
  end(by: Side, cause: string): Promise<void> {
    this.ended ??= this.teardown(by, cause);
    return this.ended;
  }

  private async teardown(by: Side, cause: string): Promise<void> {
    clearTimeout(this.goneTimer);
    this.abandon.abort();
    for (const fn of this.endHooks) fn();
    this.sm.to(CallState.Ending);
    this.log.info({ by, cause }, 'ending call');
    const reason = { Reason: reasonHeader(cause) };
    const jobs: [string, Promise<unknown>][] = [];
    jobs.push(['cancel-invite', withTimeout(this.outgoing.abandon(), TEARDOWN_STEP_MS, undefined)]);
    for (const side of ['meta', 'pbx'] as const) {
      const dialog = this.dialogs[side];
      this.dialogs[side] = null;
      if (dialog) jobs.push([`${side}-bye`, destroyDialog(dialog, reason)]);
    }
    for (const leg of this.legs) jobs.push([`release-${leg.id}`, leg.release()]);
    const results = await Promise.allSettled(jobs.map(([, p]) => p));
    results.forEach((r, i) => {
      if (r.status === 'rejected') this.log.warn({ step: jobs[i]?.[0], err: String(r.reason) }, 'teardown step failed');
    });
    this.writeCdr(by, cause);
    this.deps.registry.remove(this.id);
    this.sm.to(CallState.Ended);
  }

  private writeCdr(by: Side, cause: string): void {
    const end = new Date();
    const f = this.facts;
    this.deps.cdr.write({
      type: 'cdr',
      direction: f.direction,
      meta_call_id: f.metaCallId,
      pbx_call_id: f.pbxCallId,
      wacid: f.wacid,
      business_number: f.businessNumber,
      whatsapp_user: f.whatsappUser,
      pbx: f.pbx,
      pbx_destination: f.pbxDestination,
      invite_at: this.inviteAt.toISOString(),
      answer_at: this.answerAt?.toISOString() ?? null,
      end_at: end.toISOString(),
      setup_ms: this.answerAt ? this.answerAt.getTime() - this.inviteAt.getTime() : null,
      duration_s: this.answerAt ? Math.round((end.getTime() - this.answerAt.getTime()) / 100) / 10 : 0,
      ended_by: by,
      cause,
      sip_status: this.finalStatus || 500,
      meta_call_duration_s: f.metaCallDuration,
      meta_warning: f.metaWarning,
      media_server: f.mediaServer,
      transferred_to: this.transferred?.to ?? null,
      transfer_pbx_call_id: this.transferred?.callId ?? null,
      transferred_at: this.transferred?.at.toISOString() ?? null,
    });
  }
}

/** BYE; bounded, since a drachtio-server that went away never answers */
function destroyDialog(dialog: SrfDialog, headers: Record<string, string>): Promise<void> {
  const bye = new Promise<void>((resolve, reject) => {
    dialog.destroy({ headers }, (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()));
  });
  return withTimeout(bye.then(() => true), TEARDOWN_STEP_MS, false).then((done) => {
    if (!done) throw new Error('BYE not confirmed in time');
  });
}

const TEARDOWN_STEP_MS = 5000;
