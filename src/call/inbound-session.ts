import type { MetaConfig } from '../config/types';
import type { MediaLeg, MediaSession } from '../media/types';
import type { InboundCall } from '../sip/meta-admission';
import { isSipError, type SrfRequest, type SrfResponse } from '../sip/srf-types';
import { CallSession, type SessionDeps } from './call-session';
import { CallState } from './call-state';
import { mapPbxFailureToMeta, RING_TIMEOUT_RESPONSE, type FinalResponse } from './failure-map';

/**
 * A WhatsApp user calls the business (SPEC M2, P2, X1, X3):
 *   Meta's offer → FreeSWITCH leg answering it (SDES Opus)
 *   → FreeSWITCH leg offering the PBX's codecs → INVITE to the PBX
 *   → PBX answers → its SDP to FreeSWITCH → bridge → 200 OK to Meta.
 * Meta hears 180 while the PBX rings and a mapped final response if the PBX fails.
 */
export class InboundSession extends CallSession {
  private ringTimer: NodeJS.Timeout | undefined;
  private ringTimedOut = false;
  private sentRinging = false;

  constructor(
    deps: SessionDeps,
    private readonly meta: MetaConfig,
    private readonly req: SrfRequest,
    private readonly res: SrfResponse,
    private readonly call: InboundCall,
    metaCallId: string,
  ) {
    super(
      deps,
      {
        direction: 'user-initiated',
        businessNumber: call.business.number,
        whatsappUser: call.caller,
        wacid: call.wacid,
        pbx: call.pbx.name,
        pbxDestination: call.destination,
        metaCallId,
        pbxCallId: null,
        mediaServer: null,
        metaCallDuration: null,
        metaWarning: null,
      },
      { metaCallId, wacid: call.wacid, business: call.business.number },
    );
    req.on('cancel', () => {
      this.setFinalStatus(487);
      void this.end('meta', 'cancel');
    });
  }

  async run(media: MediaSession): Promise<void> {
    this.facts.mediaServer = media.server;
    this.sm.to(CallState.Connecting);
    try {
      const metaLeg = await this.adopt(media.answerOffer(this.req.body, 'meta'));
      if (!metaLeg) return;
      const pbx = this.call.pbx;
      const pbxLeg = await this.adopt(media.createOffer({ codecs: pbx.codecs, srtp: pbx.srtp }, 'pbx'));
      if (!pbxLeg) return;
      const answered = await this.dialPbx(pbxLeg);
      if (!answered) return;
      await pbxLeg.setRemoteSdp(answered);
      await metaLeg.bridge(pbxLeg);
      if (this.sm.ending) return;
      await this.answerMeta(metaLeg);
    } catch (err) {
      // FreeSWITCH refusing Meta's offer is an SDP problem (488); anything else is ours (503)
      const resp = isSipError(err) && err.status === 488
        ? { status: 488, reason: 'Not Acceptable Here' }
        : { status: 503, reason: 'Service Unavailable' };
      this.failMeta(resp, `media-error: ${(err as Error).message}`);
    }
  }

  /** INVITE the PBX; resolves with its SDP answer, or null if the call ended instead */
  private async dialPbx(pbxLeg: MediaLeg): Promise<string | null> {
    const { pbx, destination, caller, pbxHeaders } = this.call;
    const uri = `sip:${destination}@${pbx.host}:${pbx.port};transport=${pbx.transport}`;
    const from = `sip:${caller}@${this.meta.hostname}`;
    this.ringTimer = setTimeout(() => this.onRingTimeout(), pbx.ring_timeout_seconds * 1000);
    try {
      const dialog = await this.deps.sip.createUAC(
        uri,
        {
          localSdp: pbxLeg.localSdp,
          headers: { From: `"${caller.slice(1)}" <${from}>`, 'P-Asserted-Identity': `<${from}>`, ...pbxHeaders },
          ...(pbx.auth ? { auth: pbx.auth } : {}),
        },
        {
          cbRequest: (err, sent) => {
            if (err) return;
            this.pendingInvite = sent;
            this.facts.pbxCallId = sent.get('Call-ID');
          },
          cbProvisional: (prov) => this.onPbxProvisional(prov.status),
        },
      );
      this.pendingInvite = null;
      clearTimeout(this.ringTimer);
      if (this.sm.ending) {
        dialog.destroy();
        return null;
      }
      this.pbxDialog = dialog;
      this.watchDialog(dialog, 'pbx');
      dialog.on('modify', (req: SrfRequest, res: SrfResponse) => void this.onPbxReinvite(pbxLeg, req, res));
      return dialog.remote.sdp;
    } catch (err) {
      this.pendingInvite = null;
      clearTimeout(this.ringTimer);
      if (this.sm.ending) return null;
      if (!isSipError(err)) throw err;
      if (this.ringTimedOut) this.failMeta(RING_TIMEOUT_RESPONSE, 'pbx-no-answer');
      else this.failMeta(mapPbxFailureToMeta(err.status), `pbx-${err.status}`);
      return null;
    }
  }

  /** PBX re-INVITE (hold, resume, refresh): answered from FreeSWITCH, never sent to Meta (SPEC M8, P4) */
  private async onPbxReinvite(pbxLeg: MediaLeg, req: SrfRequest, res: SrfResponse): Promise<void> {
    try {
      if (req.body?.trim()) await pbxLeg.setRemoteSdp(req.body);
      res.send(200, { body: pbxLeg.localSdp });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'PBX re-INVITE refused by the media server');
      res.send(488);
    }
  }

  private onPbxProvisional(status: number): void {
    if (this.sentRinging || this.sm.ending || status < 180) return;
    this.sentRinging = true;
    this.sm.to(CallState.Ringing);
    this.res.send(180);
  }

  private onRingTimeout(): void {
    this.ringTimedOut = true;
    this.log.info({ seconds: this.call.pbx.ring_timeout_seconds }, 'PBX did not answer in time: cancelling');
    const pending = this.pendingInvite;
    if (pending) pending.cancel(() => undefined);
    else this.failMeta(RING_TIMEOUT_RESPONSE, 'pbx-no-answer');
  }

  private async answerMeta(metaLeg: MediaLeg): Promise<void> {
    try {
      const dialog = await this.deps.sip.createUAS(this.req, this.res, { localSdp: metaLeg.localSdp });
      if (this.sm.ending) {
        dialog.destroy();
        return;
      }
      this.metaDialog = dialog;
      this.watchDialog(dialog, 'meta');
      this.markAnswered();
      dialog.on('modify', (req: SrfRequest, res: SrfResponse) => {
        // Meta should never re-INVITE (SPEC M8); if it does, keep our answer as it was.
        this.log.warn({ method: req.method }, 'unexpected re-INVITE from Meta: answering with the current SDP');
        res.send(200, { body: metaLeg.localSdp });
      });
    } catch (err) {
      if (!this.sm.ending) void this.end('meta', `answer-failed: ${(err as Error).message}`);
    }
  }

  /** a final non-2xx to Meta (if it can still get one) and the end of the call */
  private failMeta(resp: FinalResponse, cause: string): void {
    if (this.sm.ending) return;
    if (!this.res.finalResponseSent) this.res.send(resp.status, resp.reason, {});
    this.setFinalStatus(resp.status);
    void this.end(cause.startsWith('pbx') ? 'pbx' : 'gateway', cause);
  }
}
