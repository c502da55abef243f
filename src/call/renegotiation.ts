import type { MediaLeg } from '../media/types';
import { answerWithDirection, offerDirection } from '../sdp/direction';
import { audioTransport } from '../sdp/media-transport';
import { SdpVersion } from '../sdp/sdp-version';
import { isSipError, type SrfDialog, type SrfRequest, type SrfResponse } from '../sip/srf-types';
import type { Logger } from '../util/logger';
import type { RateLimitedLog } from '../util/rate-limited-log';

/** how long a PBX is asked to wait before it tries a refused re-INVITE again */
const RETRY_AFTER_S = '2';
/** RFC 3261 §13.3.1.4: no ACK for our 200 OK within 64*T1 ends the session (we act at 30 s, as at set-up) */
const ACK_TIMEOUT_MS = 30_000;

export interface RenegotiationDeps {
  side: 'meta' | 'pbx';
  /** the FreeSWITCH leg facing this dialog */
  leg: MediaLeg;
  /** the SDP this dialog already carried from us (the set-up's offer or answer) */
  firstSdp: string;
  /** settles once the set-up's own SDP has reached FreeSWITCH (answered and bridged, or failed) */
  setUp: Promise<unknown>;
  isEnding(): boolean;
  /** end the call: the session failed (RFC 3261 §13.2.1, §13.3.1.4) */
  fail(cause: string): void;
  log: Logger;
  /** the far end's protocol errors: at most one line per source and reason an interval */
  refusals?: RateLimitedLog;
}

/**
 * In-dialog re-INVITEs and UPDATEs (SPEC M8, P4). The PBX's (hold, resume, re-key, new
 * address) go to FreeSWITCH and are answered with FreeSWITCH's SDP for that leg as it is
 * now, `o=` version bumped when it changed; none reaches Meta. Meta should never send one;
 * if it does, it gets our SDP as it was.
 *   UPDATE without SDP (a session refresh)           → 200 without SDP (RFC 3311 §5.2)
 *   re-INVITE without SDP (delayed offer, RFC 3264)  → 200 with our current SDP as the offer; the
 *                                                      PBX's answer in its ACK goes to FreeSWITCH
 *   ... and an ACK without SDP, or none in 30 s       → BYE (RFC 3261 §13.2.1, §13.3.1.4)
 *   an offer while the previous one is still handled → 491 (RFC 3261 §14.2)
 *   FreeSWITCH refuses the SDP (488)                 → 488
 *   FreeSWITCH fails otherwise, or the call is ending → 500 with Retry-After
 */
export function handleRenegotiation(dialog: SrfDialog, d: RenegotiationDeps): void {
  const version = new SdpVersion(d.firstSdp);
  let busy = false;
  const current = () => version.next(d.leg.localSdp);
  const acks = new AckWait(dialog);

  /** a re-INVITE without SDP from the PBX: our offer in the 200 OK, its answer in the ACK */
  const delayedOffer = async (req: SrfRequest, res: SrfResponse): Promise<void> => {
    await d.setUp.catch(() => undefined);
    if (d.isEnding()) {
      res.send(500, { headers: { 'Retry-After': RETRY_AFTER_S } });
      return;
    }
    const acked = acks.next(req.get('CSeq'));
    const offered = current();
    res.send(200, { body: offered });
    const ack = await acked;
    if (d.isEnding()) return;
    if (!ack) {
      d.log.warn('no ACK for our 200 OK to a re-INVITE without SDP within 30 s: ending the call');
      d.fail('pbx-no-ack');
      return;
    }
    const answer = ack.body?.trim() ? ack.body : null;
    if (!answer) {
      const why = 'ACK without SDP after our offer in a 200 OK to a re-INVITE without SDP (RFC 3261 §13.2.1): ending the call';
      if (d.refusals) d.refusals.note('warn', String(ack.source_address), 'ACK_WITHOUT_ANSWER', {}, why, d.log);
      else d.log.warn(why);
      d.fail('pbx-ack-without-answer');
      return;
    }
    try {
      await d.leg.setRemoteSdp(answer);
    } catch (err) {
      // the PBX now sends to where its answer says, FreeSWITCH to the old place: the session failed
      d.log.warn({ err: (err as Error).message }, 'the PBX answer in its ACK failed on the media server: ending the call');
      d.fail('pbx-answer-failed');
      return;
    }
    d.log.info({ direction: offerDirection(answer) }, 'PBX answer in its ACK passed to FreeSWITCH');
    try {
      await reofferIfMoved(offered, answer);
    } catch (err) {
      d.log.warn({ err: (err as Error).message }, "our re-INVITE with FreeSWITCH's new SDP failed: ending the call");
      d.fail('pbx-reoffer-failed');
    }
  };

  /**
   * FreeSWITCH takes the PBX's answer as an offer of a re-INVITE. For a new SDES key in it,
   * FreeSWITCH draws a new key of its own, which the PBX (holding our offer) does not know:
   * the PBX gets FreeSWITCH's SDP as it is now in a re-INVITE of ours. Its answer goes to
   * FreeSWITCH only if it differs from the one FreeSWITCH has (once: no loop).
   */
  const reofferIfMoved = async (offered: string, pbxAnswer: string): Promise<void> => {
    if (audioTransport(d.leg.localSdp) === audioTransport(offered) || d.isEnding()) return;
    d.log.info('FreeSWITCH changed its address or key for the PBX answer in the ACK: re-INVITE to the PBX');
    const again = await dialog.modify(version.next(d.leg.localSdp));
    if (d.isEnding() || audioTransport(again) === audioTransport(pbxAnswer)) return;
    await d.leg.setRemoteSdp(again);
    if (audioTransport(d.leg.localSdp) !== audioTransport(dialog.local.sdp)) {
      d.log.warn('FreeSWITCH changed its key again for the PBX answer to our re-INVITE: the PBX may not hear the call');
    }
  };

  const answer = async (req: SrfRequest, res: SrfResponse): Promise<void> => {
    const offer = req.body?.trim() ? req.body : null;
    if (!offer && req.method === 'UPDATE') {
      res.send(200);
      return;
    }
    if (d.side === 'meta') {
      d.log.warn({ method: req.method }, 'unexpected re-INVITE or UPDATE from Meta: answering with the current SDP');
      res.send(200, { body: current() });
      return;
    }
    if (busy) {
      res.send(491, 'Request Pending');
      return;
    }
    busy = true;
    try {
      if (!offer) {
        await delayedOffer(req, res);
        return;
      }
      await d.setUp.catch(() => undefined);
      if (d.isEnding()) throw new Error('the call is ending');
      await d.leg.setRemoteSdp(offer);
      d.log.info({ method: req.method, direction: offerDirection(offer) }, 'PBX offer answered from FreeSWITCH');
      res.send(200, { body: version.next(answerWithDirection(d.leg.localSdp, offer)) });
    } catch (err) {
      const refused = isSipError(err) && err.status === 488;
      d.log.warn({ method: req.method, err: (err as Error).message }, refused ? 'PBX offer refused by the media server' : 'PBX offer failed on the media server');
      if (refused) res.send(488);
      else res.send(500, { headers: { 'Retry-After': RETRY_AFTER_S } });
    } finally {
      busy = false;
    }
  };
  const handler = (req: SrfRequest, res: SrfResponse) => void answer(req, res);
  dialog.on('modify', handler);
  dialog.on('update', handler);
}

/**
 * The ACK of one 200 OK of ours to a re-INVITE: drachtio-srf emits every ACK in the dialog
 * as 'ack' (the set-up's too, and it has already put an ACK's SDP in dialog.remote.sdp),
 * so the one awaited is told by its CSeq number. Resolves with null after ACK_TIMEOUT_MS.
 */
class AckWait {
  private waiting: { cseq: string | null; done: (ack: SrfRequest | null) => void } | null = null;

  constructor(dialog: SrfDialog) {
    dialog.on('ack', (ack) => {
      const w = this.waiting;
      if (!w) return;
      const n = cseqNumber(ack.get('CSeq'));
      if (w.cseq && n && n !== w.cseq) return;
      w.done(ack);
    });
  }

  /** call before sending the 200 OK, with the re-INVITE's CSeq */
  next(inviteCseq: string | undefined): Promise<SrfRequest | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(null), ACK_TIMEOUT_MS);
      timer.unref?.();
      const done = (ack: SrfRequest | null) => {
        clearTimeout(timer);
        this.waiting = null;
        resolve(ack);
      };
      this.waiting = { cseq: cseqNumber(inviteCseq), done };
    });
  }
}

function cseqNumber(cseq: string | undefined): string | null {
  return /^\s*(\d+)/.exec(cseq ?? '')?.[1] ?? null;
}
