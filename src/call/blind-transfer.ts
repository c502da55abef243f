import type { PbxTarget } from '../config/types';
import type { LegOptions, MediaLeg, MediaSession } from '../media/types';
import { hangUpQuietly, isDialogUp, isSipError, type SrfDialog, type SrfRequest, type SrfResponse } from '../sip/srf-types';
import { addressSet, type AddressSet } from '../util/cidr';
import type { Logger } from '../util/logger';
import { withTimeout } from '../util/time';
import type { FarSide } from './far-side';
import { MEDIA_FAILED, RING_TIMEOUT_RESPONSE as NO_ANSWER } from './failure-map';
import { CANCEL_GRACE_MS, OutgoingInvite } from './outgoing-invite';
import { countValues, parseReferTo } from './refer-to';
import { TransferReport, type Outcome } from './transfer-report';

/** how the new target is rung: the PBX, for one extension, with the call's caller ID and X- headers */
export type TargetDialer = Pick<FarSide, 'prepareLeg' | 'dial' | 'ringTimeoutMs'>;

export interface TransferPlan {
  /** the PBX the call is on: a Refer-To must name it (its host, or an address in its allow_sources) */
  pbx: Pick<PbxTarget, 'name' | 'host' | 'allow_sources'>;
  dialer(extension: string, headers: Record<string, string>): TargetDialer;
}

/** what a transfer may do to its call (CallSession.transferHost) */
export interface TransferHost {
  readonly log: Logger;
  /** FreeSWITCH settings of a leg facing the PBX */
  readonly legOptions: LegOptions;
  /** the call is ending or over: nothing new may start */
  ending(): boolean;
  onEnd(fn: () => void): void;
  /**
   * while the target is rung, the PBX's BYE on the current dialog and the end of the current PBX
   * leg do not end the call; the function returned undoes that, and ends the call if either came
   */
  holdPbx(): () => void;
  /** the new dialog and leg (of `extension`) are the call's PBX side from now on; the old leg is no longer the call's */
  replacePbx(oldLeg: MediaLeg, next: { dialog: SrfDialog; leg: MediaLeg; extension: string }): void;
  /** end the call (the Meta leg could not be put back on the old leg) */
  fail(cause: string): void;
}

/** the call as a transfer finds it: answered and bridged */
interface Connected {
  media: MediaSession;
  meta: MediaLeg;
  pbx: MediaLeg;
  dialog: SrfDialog;
  /** give a new PBX dialog the in-dialog handling the first one has (re-INVITE, UPDATE, INFO) */
  inDialog: (dialog: SrfDialog, leg: MediaLeg) => void;
}

/** one try at the target: what has to be undone if it fails */
interface Attempt {
  /** the Refer-To's extension on the PBX */
  extension: string;
  leg: MediaLeg | null;
  dialog: SrfDialog | null;
  /** the INVITE to the target and its CANCEL (drachtio-server holds the CANCEL until a provisional, RFC 3261 §9.1) */
  invite: OutgoingInvite;
  /** aborted when the call ends: nothing more leaves for the target */
  abort: AbortController;
  ringTimedOut: boolean;
  bridgeTried: boolean;
  /** stop waiting for the target (the call ended) */
  stopRinging: (() => void) | null;
}

interface Refusal {
  status: 400 | 603;
  code: string;
  detail: string;
}

const BYE_TIMEOUT_MS = 5000;

/**
 * A blind transfer asked for by the PBX (REFER, RFC 3515), carried out here since Meta takes
 * no REFER and no re-INVITE (SPEC M8): 202, a new FreeSWITCH leg offering the PBX's codecs,
 * an INVITE to the target on the same PBX, its answer to the new leg, the Meta leg bridged to
 * it, NOTIFYs with the progress (RFC 3515 §2.4.4), then the old PBX dialog and leg ended.
 * Meta sees nothing. If the target fails, the call stays on the old leg. Attended transfers
 * (Replaces, RFC 3891) and targets elsewhere than this PBX are refused with 603.
 */
export class BlindTransfer {
  private call: Connected | null = null;
  private current: Attempt | null = null;
  /** a REFER that came between the PBX's answer and the bridge: carried out once the call is connected */
  private early: (() => void) | null = null;
  /** the call has started ending */
  private over = false;
  private readonly sources: AddressSet;
  /** refusal codes logged at warn in this call: one line per code per call, the rest at debug */
  private readonly warned = new Set<string>();

  /** `plan` null: the call takes no transfer, every REFER is declined */
  constructor(private readonly plan: TransferPlan | null, private readonly host: TransferHost) {
    this.sources = addressSet(plan?.pbx.allow_sources ?? []);
    host.onEnd(() => {
      this.over = true;
      this.early?.();
      this.abandon();
    });
  }

  /** REFERs in this PBX dialog come here (one before the bridge is up waits for it) */
  watch(dialog: SrfDialog): void {
    dialog.on('refer', (req, res) => this.onRefer(dialog, req, res));
  }

  /** the call is answered and its legs bridged: from now on a REFER in `dialog` is carried out */
  connected(media: MediaSession, legs: { meta: MediaLeg; pbx: MediaLeg }, dialog: SrfDialog, inDialog: Connected['inDialog']): void {
    this.call = { media, ...legs, dialog, inDialog };
    this.early?.();
  }

  private onRefer(dialog: SrfDialog, req: SrfRequest, res: SrfResponse): void {
    // the PBX has answered but FreeSWITCH is still bridging (a few ms): the REFER waits for it
    if (!this.call && !this.early && this.plan && !this.over) {
      this.early = () => {
        this.early = null;
        this.onRefer(dialog, req, res);
      };
      return;
    }
    const refused = this.check(dialog, req);
    if ('code' in refused) {
      const level = this.warned.has(refused.code) ? 'debug' : 'warn';
      this.warned.add(refused.code);
      this.host.log[level]({ code: refused.code, status: refused.status, detail: refused.detail }, 'REFER refused');
      res.send(refused.status, refused.status === 400 ? 'Bad Request' : 'Decline');
      return;
    }
    const { call, plan, extension } = refused;
    const report = new TransferReport(dialog, req, this.host.log);
    res.send(202, 'Accepted', { headers: report.responseHeaders });
    this.host.log.info({ extension, pbx: plan.pbx.name }, 'blind transfer: ringing the target');
    const attempt: Attempt = { extension, leg: null, dialog: null, invite: new OutgoingInvite(), abort: new AbortController(), ringTimedOut: false, bridgeTried: false, stopRinging: null };
    this.current = attempt;
    // RFC 3892: the target learns who referred it (a value of sane length, as the PBX sent it)
    const referredBy = req.has('Referred-By') ? req.get('Referred-By') : '';
    const dialer = plan.dialer(extension, referredBy && referredBy.length <= 512 ? { 'Referred-By': referredBy } : {});
    void this.carryOut(call, dialer, attempt, report)
      .catch((err: Error) => this.host.log.error({ err }, 'bug in a blind transfer'))
      .finally(() => {
        if (this.current === attempt) this.current = null;
      });
  }

  /** a REFER we can carry out, or why not */
  private check(dialog: SrfDialog, req: SrfRequest): Refusal | { call: Connected; plan: TransferPlan; extension: string } {
    const decline = (code: string, detail: string): Refusal => ({ status: 603, code, detail });
    const call = this.call;
    const plan = this.plan;
    if (!plan) return decline('REFER_NOT_SUPPORTED', 'this call takes no transfer');
    if (this.over || this.host.ending()) return decline('REFER_CALL_ENDING', 'the call is ending');
    if (!call) return decline('REFER_NOT_CONNECTED', 'the call is not answered and bridged yet');
    if (call.dialog !== dialog) return decline('REFER_OLD_DIALOG', 'REFER in a PBX dialog a transfer has replaced');
    if (this.current) return decline('REFER_IN_PROGRESS', 'a transfer is already in progress');
    const value = req.has('Refer-To') ? req.get('Refer-To') : '';
    // RFC 3515 §2.4.1: exactly one Refer-To, else 400
    if (countValues(value) !== 1) return { status: 400, code: 'REFER_TO_COUNT', detail: `${countValues(value)} Refer-To values` };
    const target = parseReferTo(value);
    if (!target) return { status: 400, code: 'REFER_TO_UNREADABLE', detail: `Refer-To ${JSON.stringify(value.slice(0, 200))}` };
    if ('replaces' in target.headers) return decline('REFER_REPLACES', 'attended transfer (Replaces) is not supported');
    if (target.scheme !== 'sip') return decline('REFER_SCHEME', `Refer-To scheme ${target.scheme}: only sip`);
    if ((target.params.method ?? 'INVITE').toUpperCase() !== 'INVITE') return decline('REFER_METHOD', `Refer-To method=${target.params.method}`);
    if (!this.isPbx(plan, target.host)) return decline('REFER_OTHER_HOST', `Refer-To host ${target.host} is not PBX ${plan.pbx.name}`);
    if (!/^[A-Za-z0-9+*#._-]{1,64}$/.test(target.user)) return decline('REFER_NO_EXTENSION', `Refer-To user ${JSON.stringify(target.user.slice(0, 64))}`);
    return { call, plan, extension: target.user };
  }

  private isPbx(plan: TransferPlan, host: string): boolean {
    const pbx = plan.pbx.host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    return host === pbx || this.sources.has(host);
  }

  private async carryOut(call: Connected, dialer: TargetDialer, a: Attempt, report: TransferReport): Promise<void> {
    const resume = this.host.holdPbx();
    report.trying();
    const outcome = await this.attempt(call, dialer, a).catch((err: unknown): Outcome => {
      if (isSipError(err)) return a.ringTimedOut ? NO_ANSWER : { status: err.status, reason: err.reason ?? '' };
      this.host.log.warn({ err: (err as Error).message }, 'blind transfer: media server failed');
      return MEDIA_FAILED;
    });
    if (outcome.status === 200 && a.leg && a.dialog) {
      this.call = { ...call, pbx: a.leg, dialog: a.dialog };
      this.host.replacePbx(call.pbx, { dialog: a.dialog, leg: a.leg, extension: a.extension });
      call.inDialog(a.dialog, a.leg);
      resume();
      this.host.log.info({ pbxCallId: a.dialog.sip.callId }, 'blind transfer: the target answered; Meta leg bridged to it');
      await report.final(outcome);
      await Promise.allSettled([endDialog(call.dialog), call.pbx.release()]);
      return;
    }
    this.host.log.info({ status: outcome.status, reason: outcome.reason }, 'blind transfer failed: the call stays with the transferor');
    await this.undo(call, a);
    resume();
    if (!this.host.ending()) await report.final(outcome);
  }

  /** leg, INVITE, answer, bridge; resolves 200 when the Meta leg is bridged to the target */
  private async attempt(call: Connected, dialer: TargetDialer, a: Attempt): Promise<Outcome> {
    a.leg = await dialer.prepareLeg(call.media, this.host.legOptions);
    if (this.host.ending()) return { status: 487, reason: 'Request Terminated' };
    a.dialog = await this.ring(dialer, a);
    if (this.host.ending()) return { status: 487, reason: 'Request Terminated' };
    if (!isDialogUp(a.dialog)) return NO_ANSWER; // the target's BYE came right behind its 200 OK
    await a.leg.setRemoteSdp(a.dialog.remote.sdp);
    if (this.host.ending()) return { status: 487, reason: 'Request Terminated' };
    a.bridgeTried = true;
    await call.meta.bridge(a.leg);
    // ended while bridging: the teardown did not see the new dialog and leg, undo() ends them
    if (this.host.ending()) return { status: 487, reason: 'Request Terminated' };
    return { status: 200, reason: 'OK' };
  }

  /**
   * INVITE the target. At the ring timeout it is CANCELled (once a provisional allows it);
   * a target that never ends its INVITE after that is given up CANCEL_GRACE_MS later, and a
   * 2xx it sends after all is BYEd.
   */
  private ring(dialer: TargetDialer, a: Attempt): Promise<SrfDialog> {
    const dialing = dialer.dial(a.leg!.localSdp, {
      signal: a.abort.signal,
      onRequest: (sent) => a.invite.sent(sent),
      onProvisional: () => undefined,
    });
    return new Promise<SrfDialog>((resolve, reject) => {
      let done = false;
      const ringTimer = setTimeout(() => {
        a.ringTimedOut = true;
        this.host.log.info({ ms: dialer.ringTimeoutMs }, 'blind transfer: the target did not answer in time: cancelling');
        void a.invite.abandon();
      }, dialer.ringTimeoutMs);
      const stop = (why: string) => settle(() => reject(Object.assign(new Error(why), { name: 'SipError', status: 487, reason: 'Request Terminated' })));
      const giveUp = setTimeout(() => stop('no final response from the target after our CANCEL'), dialer.ringTimeoutMs + CANCEL_GRACE_MS);
      a.stopRinging = () => stop('the call ended');
      const settle = (fn: () => void) => {
        clearTimeout(ringTimer);
        clearTimeout(giveUp);
        if (done) return;
        done = true;
        fn();
      };
      // the INVITE's final response: nothing to CANCEL any more; a 2xx nobody waits for is BYEd
      dialing.then(
        (d) => {
          a.invite.done();
          if (done) hangUpQuietly(d);
          else settle(() => resolve(d));
        },
        (err: unknown) => {
          a.invite.done();
          settle(() => reject(err));
        },
      );
    });
  }

  /** the call ended while a transfer ran: the target's INVITE is CANCELled, its leg released (by undo) at once */
  private abandon(): void {
    const a = this.current;
    if (!a) return;
    a.abort.abort();
    void a.invite.abandon();
    a.stopRinging?.();
  }

  /** a failed try: end the target's dialog and leg, and put the Meta leg back on the old leg if the bridge was touched */
  private async undo(call: Connected, a: Attempt): Promise<void> {
    if (a.dialog) hangUpQuietly(a.dialog);
    await a.leg?.release();
    if (!a.bridgeTried || this.host.ending()) return;
    try {
      await call.meta.bridge(call.pbx);
    } catch (err) {
      this.host.log.warn({ err: (err as Error).message }, 'blind transfer: the Meta leg could not be put back on the old leg');
      this.host.fail('transfer-rebridge-failed');
    }
  }
}

/** BYE the transferor's dialog, unless it already hung up; bounded */
async function endDialog(dialog: SrfDialog): Promise<void> {
  if (!isDialogUp(dialog)) return;
  await withTimeout(new Promise<void>((resolve) => dialog.destroy(undefined, () => resolve())), BYE_TIMEOUT_MS, undefined);
}
