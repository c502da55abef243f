import type { MediaLeg } from '../media/types';
import { answerWithDirection, offerDirection } from '../sdp/direction';
import { SdpVersion } from '../sdp/sdp-version';
import { isSipError, type SrfDialog, type SrfRequest, type SrfResponse } from '../sip/srf-types';
import type { Logger } from '../util/logger';

/** how long a PBX is asked to wait before it tries a refused re-INVITE again */
const RETRY_AFTER_S = '2';

export interface RenegotiationDeps {
  side: 'meta' | 'pbx';
  /** the FreeSWITCH leg facing this dialog */
  leg: MediaLeg;
  /** the SDP this dialog already carried from us (the set-up's offer or answer) */
  firstSdp: string;
  /** settles once the set-up's own SDP has reached FreeSWITCH (answered and bridged, or failed) */
  setUp: Promise<unknown>;
  isEnding(): boolean;
  log: Logger;
}

/**
 * In-dialog re-INVITEs and UPDATEs (SPEC M8, P4). The PBX's (hold, resume, re-key, new
 * address) go to FreeSWITCH and are answered with FreeSWITCH's SDP for that leg as it is
 * now, `o=` version bumped when it changed; none reaches Meta. Meta should never send one;
 * if it does, it gets our SDP as it was.
 *   UPDATE without SDP (a session refresh)           → 200 without SDP (RFC 3311 §5.2)
 *   re-INVITE without SDP                            → 200 with our current SDP as the offer
 *   an offer while the previous one is still handled → 491 (RFC 3261 §14.2)
 *   FreeSWITCH refuses the SDP (488)                 → 488
 *   FreeSWITCH fails otherwise, or the call is ending → 500 with Retry-After
 */
export function handleRenegotiation(dialog: SrfDialog, d: RenegotiationDeps): void {
  const version = new SdpVersion(d.firstSdp);
  let busy = false;
  const current = () => version.next(d.leg.localSdp);

  const answer = async (req: SrfRequest, res: SrfResponse): Promise<void> => {
    const offer = req.body?.trim() ? req.body : null;
    if (!offer) {
      if (req.method === 'UPDATE') res.send(200);
      else res.send(200, { body: current() });
      return;
    }
    if (d.side === 'meta') {
      d.log.warn({ method: req.method }, 'unexpected offer from Meta: answering with the current SDP');
      res.send(200, { body: current() });
      return;
    }
    if (busy) {
      res.send(491, 'Request Pending');
      return;
    }
    busy = true;
    try {
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
