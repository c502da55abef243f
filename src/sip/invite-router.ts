import type { MetaConfig } from '../config/types';
import { InboundSession } from '../call/inbound-session';
import type { SessionDeps } from '../call/call-session';
import type { MediaService } from '../media/types';
import type { Logger } from '../util/logger';
import { REJECTIONS, reject, type Rejection } from './errors';
import type { MetaAdmission } from './meta-admission';
import type { SrfRequest, SrfResponse } from './srf-types';
import { inviteView, type InviteView } from './invite-view';

export interface InviteRouterDeps {
  meta: MetaConfig;
  admission: MetaAdmission;
  media: MediaService;
  session: SessionDeps;
  log: Logger;
}

/**
 * Entry for every new INVITE: identify the trunk it came from, run that trunk's admission,
 * and hand an admitted call to a CallSession. Anything unidentified is refused here,
 * before any media or B-leg exists (SPEC R1).
 */
export class InviteRouter {
  constructor(private readonly deps: InviteRouterDeps) {}

  handle(req: SrfRequest, res: SrfResponse): void {
    const view = inviteView(req);
    const log = this.deps.log.child({ callId: view.callId, src: `${req.source_address}:${req.source_port}/${req.protocol}` });
    try {
      if (this.deps.admission.isMetaSource(req.source_address)) {
        this.fromMeta(req, view, res, log);
        return;
      }
      this.refuse(res, log, reject('SOURCE_NOT_ALLOWED', 'INVITE from an address that is neither Meta nor a configured PBX'));
    } catch (err) {
      log.error({ err }, 'bug while routing an INVITE');
      if (!res.finalResponseSent) res.send(500);
    }
  }

  private fromMeta(req: SrfRequest, view: InviteView, res: SrfResponse, log: Logger): void {
    const admitted = this.deps.admission.admit(view);
    if ('code' in admitted) {
      this.refuse(res, log, admitted);
      return;
    }
    const media = this.deps.media.allocate();
    if (!media) {
      this.refuse(res, log, reject('NO_MEDIA_SERVER', 'no FreeSWITCH server is connected'));
      return;
    }
    log.info({ business: admitted.business.number, caller: admitted.caller, pbx: admitted.pbx.name }, 'Meta call admitted');
    const session = new InboundSession(this.deps.session, this.deps.meta, req, res, admitted, view.callId);
    void session.run(media);
  }

  private refuse(res: SrfResponse, log: Logger, r: Rejection): void {
    const { status, reason } = REJECTIONS[r.code];
    const challenge = r.code.startsWith('AUTH_CHALLENGE');
    log[challenge ? 'debug' : 'warn']({ code: r.code, status, detail: r.detail }, 'INVITE refused');
    res.send(status, reason, { headers: r.headers ?? {} });
  }
}
