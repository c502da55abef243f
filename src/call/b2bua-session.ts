import type { MediaLeg, MediaSession } from '../media/types';
import { hangUpQuietly, isDialogUp, isSipError, type SrfDialog, type SrfRequest, type SrfResponse } from '../sip/srf-types';
import { CallSession, type CallFacts, type SessionDeps } from './call-session';
import { CallState } from './call-state';
import { CANCEL_GRACE_MS } from './outgoing-invite';
import { MEDIA_FAILED, type FinalResponse } from './failure-map';
import { parseDtmfInfo } from './dtmf-info';
import { handleRenegotiation } from './renegotiation';
import type { FarSide } from './far-side';
import { BlindTransfer, type TransferPlan } from './blind-transfer';

/** The INVITE being answered: Meta's (user-initiated) or the PBX's (business-initiated). */
export interface CallingSide {
  side: 'meta' | 'pbx';
  req: SrfRequest;
  res: SrfResponse;
}

/** under 64*T1 (32 s), so the cause is ours, not drachtio-server's own ACK timeout racing it */
const ACK_TIMEOUT_MS = 30_000;
const OFFER_REFUSED: FinalResponse = { status: 488, reason: 'Not Acceptable Here' };

/**
 * One call through the gateway, either direction (SPEC X1, X3):
 *   caller's offer → FreeSWITCH leg answering it
 *   → FreeSWITCH leg making an offer → INVITE to the far side
 *   → far side answers → its SDP to FreeSWITCH → bridge → 200 OK to the caller.
 * The caller hears 180 while the far side rings, and a mapped final response if it fails.
 */
export class B2buaSession extends CallSession {
  private ringTimer: NodeJS.Timeout | undefined;
  private cancelGrace: NodeJS.Timeout | undefined;
  private ringTimedOut = false;
  private sentRinging = false;
  private callerCancelled = false;
  /** the FreeSWITCH leg facing Meta (DTMF from the PBX's INFO goes out there) */
  private metaLeg: MediaLeg | null = null;
  /** settles when set-up is over: the legs bridged and the caller answered, or the set-up failed */
  private readonly setUpDone = deferred();

  /** REFERs from the PBX: blind transfers carried out here, or declined without a plan */
  private readonly transfer: BlindTransfer;

  constructor(deps: SessionDeps, private readonly caller: CallingSide, private readonly far: FarSide, facts: CallFacts, logBindings: Record<string, unknown>, transfers: TransferPlan | null = null) {
    super(deps, facts, logBindings);
    this.transfer = new BlindTransfer(transfers, this.transferHost());
    caller.req.on('cancel', () => {
      // drachtio-server answers the INVITE 487 itself
      this.callerCancelled = true;
      this.setFinalStatus(487);
      void this.end(caller.side, 'cancel');
    });
    // whatever waits for the set-up (a re-INVITE, INFO digits) is released when the call ends first
    this.onEnd(() => this.setUpDone.reject(new Error('the call ended during set-up')));
    // ended from outside while still being set up (drain deadline, a media server or
    // drachtio-server lost): the caller's INVITE still gets its final response
    this.onEnd(() => {
      if (this.caller.res.finalResponseSent || this.state === CallState.Answered || this.callerCancelled) return;
      this.caller.res.send(MEDIA_FAILED.status, MEDIA_FAILED.reason);
      this.setFinalStatus(MEDIA_FAILED.status);
    });
  }

  async run(media: MediaSession): Promise<void> {
    this.facts.mediaServer = media.server;
    this.sm.to(CallState.Connecting);
    const t0 = performance.now();
    const mark = (step: string) => this.log.debug({ step, ms: Math.round(performance.now() - t0) }, 'set-up step');
    try {
      // both FreeSWITCH legs at once; if one fails, the call ends and adopt() releases the other
      const [aLeg, bLeg] = await Promise.all([
        this.adopt(media.answerOffer(this.caller.req.body, this.legOptions(this.caller.side)).then((l) => { mark('answering leg'); return l; }), this.caller.side),
        this.adopt(this.far.prepareLeg(media, this.legOptions(this.far.side)).then((l) => { mark('offering leg'); return l; }), this.far.side),
      ]);
      if (!aLeg || !bLeg) return;
      this.metaLeg = this.caller.side === 'meta' ? aLeg : bLeg;
      mark('legs');
      // bridged while the far side rings, so the audio it starts with its 200 OK is not clipped
      aLeg.bridgeEarly(bLeg);
      const dialog = await this.dialFar(bLeg);
      if (!dialog) return;
      mark('far side answered');
      // FreeSWITCH gets the far side's answer and bridges the legs while the caller gets its
      // 200 OK (an SDP FreeSWITCH refuses would end the leg with a BYE either way)
      const bridged = bLeg.setRemoteSdp(dialog.remote.sdp)
        .then(() => aLeg.bridge(bLeg))
        .then(() => null, (err: Error) => err);
      await this.answerCaller(aLeg);
      mark('caller answered');
      const failed = await bridged;
      if (failed) throw failed;
      mark('bridged');
      this.setUpDone.resolve();
      this.acceptTransfers(media, aLeg, bLeg);
    } catch (err) {
      this.setUpDone.reject(err as Error);
      // FreeSWITCH refusing the caller's offer is an SDP problem (488); anything else is ours (503)
      this.failCaller(isSipError(err) && err.status === 488 ? OFFER_REFUSED : MEDIA_FAILED, `media-error: ${(err as Error).message}`, 'gateway');
    }
  }

  /** INVITE the far side; resolves with its dialog, or null if the call ended instead */
  private async dialFar(bLeg: MediaLeg): Promise<SrfDialog | null> {
    if (this.sm.ending) return null;
    this.ringTimer = setTimeout(() => this.onRingTimeout(), this.far.ringTimeoutMs);
    this.onEnd(() => this.clearRingTimers());
    const offer = this.far.shapeOffer(bLeg.localSdp);
    try {
      const dialog = await this.far.dial(offer, {
        signal: this.signal,
        onRequest: (sent) => {
          this.outgoing.sent(sent);
          this.setFarCallId(sent.get('Call-ID'));
        },
        onProvisional: (status) => this.onFarProvisional(status),
      });
      this.outgoing.done();
      this.clearRingTimers();
      if (this.sm.ending || this.ringTimedOut) {
        // answered after the call ended, or after our CANCEL crossed its 200 OK
        hangUpQuietly(dialog);
        if (this.ringTimedOut) this.failCaller(this.far.noAnswer, `${this.far.side}-no-answer`, this.far.side);
        return null;
      }
      if (!isDialogUp(dialog)) {
        // the far side's BYE came right behind its 200 OK: the caller is never connected
        this.failCaller(this.far.noAnswer, `${this.far.side}-bye-at-answer`, this.far.side);
        return null;
      }
      this.watchDialog(dialog, this.far.side);
      this.handleReinvites(dialog, this.far.side, bLeg, offer);
      return dialog;
    } catch (err) {
      this.outgoing.done();
      this.clearRingTimers();
      if (this.sm.ending) return null;
      if (!isSipError(err)) throw err;
      if (this.ringTimedOut) {
        this.failCaller(this.far.noAnswer, `${this.far.side}-no-answer`, this.far.side);
      } else {
        const out = this.far.mapFailure(err);
        if (out.warning) this.facts.metaWarning = out.warning;
        // refused by ourselves before anything was sent (Meta's certificate failed the check)
        const detail = (err as { detail?: string }).detail;
        if (detail) this.log.warn({ cause: out.cause, detail }, 'call refused before it reached the far side');
        this.failCaller(out, out.cause, out.by ?? this.far.side, out.headers);
      }
      return null;
    }
  }

  private clearRingTimers(): void {
    clearTimeout(this.ringTimer);
    clearTimeout(this.cancelGrace);
  }

  private setFarCallId(callId: string): void {
    if (this.far.side === 'pbx') this.facts.pbxCallId = callId;
    else this.facts.metaCallId = callId;
  }

  private onFarProvisional(status: number): void {
    if (this.sentRinging || this.sm.ending || this.ringTimedOut || status < 180) return;
    this.sentRinging = true;
    this.sm.to(CallState.Ringing);
    this.caller.res.send(180);
  }

  /**
   * Nobody answered in time: CANCEL the far side's INVITE and give the caller the no-answer
   * response once its 487 comes; at the latest CANCEL_GRACE_MS later (a far side that died
   * after its 180 never answers the CANCEL).
   */
  private onRingTimeout(): void {
    this.ringTimedOut = true;
    this.log.info({ ms: this.far.ringTimeoutMs, far: this.far.side }, 'no answer in time: cancelling');
    void this.outgoing.abandon();
    this.cancelGrace = setTimeout(() => this.failCaller(this.far.noAnswer, `${this.far.side}-no-answer`, this.far.side), CANCEL_GRACE_MS);
  }

  private async answerCaller(aLeg: MediaLeg): Promise<void> {
    try {
      const dialog = await this.deps.sip.createUAS(this.caller.req, this.caller.res, { localSdp: aLeg.localSdp });
      if (this.sm.ending) {
        hangUpQuietly(dialog);
        return;
      }
      this.markAnswered();
      this.watchDialog(dialog, this.caller.side);
      if (this.sm.ending) return; // the caller's BYE was already in
      this.handleReinvites(dialog, this.caller.side, aLeg, aLeg.localSdp);
      this.awaitAck(dialog);
    } catch (err) {
      if (!this.sm.ending) void this.end(this.caller.side, `answer-failed: ${(err as Error).message}`);
    }
  }

  /**
   * RFC 3261 §13.3.1.4: a 200 OK never ACKed within 64*T1 ends the call (we act at 30 s, just
   * before drachtio-server's own timeout, so the CDR names the reason). From Meta this is
   * the classic symptom of a broken Record-Route (SPEC M4); without it the call would stay
   * half-open on our side.
   */
  private awaitAck(dialog: SrfDialog): void {
    const timer = setTimeout(() => {
      this.log.warn({ side: this.caller.side }, 'no ACK for our 200 OK within 30 s: ending the call (check Record-Route handling on the path)');
      void this.end('gateway', `${this.caller.side}-no-ack`);
    }, ACK_TIMEOUT_MS);
    dialog.once('ack', () => clearTimeout(timer));
    this.onEnd(() => clearTimeout(timer));
  }

  /** re-INVITEs and UPDATEs on an established dialog (renegotiation.ts) */
  private handleReinvites(dialog: SrfDialog, side: 'meta' | 'pbx', leg: MediaLeg, firstSdp: string): void {
    handleRenegotiation(dialog, {
      side, leg, firstSdp, setUp: this.setUpDone.promise, isEnding: () => this.sm.ending,
      fail: (cause) => void this.end('gateway', cause), log: this.log, refusals: this.deps.refusals,
    });
  }

  /** a PBX dialog's REFERs go to the transfer (one before the bridge waits for it), its INFO digits to Meta */
  protected override watchDialog(dialog: SrfDialog, side: 'meta' | 'pbx'): void {
    super.watchDialog(dialog, side);
    if (side !== 'pbx') return;
    this.transfer.watch(dialog);
    this.relayInfoDtmf(dialog);
  }

  /** answered and bridged: a REFER is carried out from now on; the target's dialog gets the same in-dialog handling */
  private acceptTransfers(media: MediaSession, aLeg: MediaLeg, bLeg: MediaLeg): void {
    const [meta, pbx] = this.caller.side === 'meta' ? [aLeg, bLeg] : [bLeg, aLeg];
    const dialog = this.dialogs.pbx;
    if (!dialog || this.sm.ending) return;
    this.transfer.connected(media, { meta, pbx }, dialog, (d, leg) => this.handleReinvites(d, 'pbx', leg, leg.localSdp));
  }

  /**
   * SIP INFO digits from the PBX go to Meta as RFC 4733 events on the Meta leg. Digits that
   * come before the legs are bridged are answered and relayed once they are; if the set-up
   * fails instead they get 481 (the call is gone), never a 200 and then nothing.
   */
  private relayInfoDtmf(dialog: SrfDialog): void {
    dialog.on('info', (req: SrfRequest, res: SrfResponse) => {
      const d = parseDtmfInfo(req.get('Content-Type'), req.body);
      if (!d) {
        res.send(415);
        return;
      }
      this.setUpDone.promise.then(
        () => {
          res.send(200);
          this.metaLeg?.sendDtmf(d.digit, d.durationMs).catch((err: Error) => this.log.warn({ err: err.message }, 'DTMF relay failed'));
        },
        () => res.send(481, 'Call Does Not Exist'),
      );
    });
  }

  /** a final non-2xx to the caller (if it can still get one) and the end of the call */
  private failCaller(resp: FinalResponse, cause: string, by: 'meta' | 'pbx' | 'gateway', headers?: Record<string, string>): void {
    if (this.sm.ending) return;
    if (!this.caller.res.finalResponseSent) this.caller.res.send(resp.status, resp.reason, { headers: headers ?? {} });
    this.setFinalStatus(resp.status);
    void this.end(by, cause);
  }
}

function deferred(): { promise: Promise<void>; resolve(): void; reject(err: Error): void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => undefined); // nobody may be waiting
  return { promise, resolve, reject };
}
