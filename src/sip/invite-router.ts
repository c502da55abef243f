import { B2buaSession } from '../call/b2bua-session';
import type { PermissionCheck } from '../call/call-permission';
import type { CallFacts, SessionDeps } from '../call/call-session';
import { MetaFarSide, type MetaTlsCheck } from '../call/meta-far-side';
import { PbxFarSide } from '../call/pbx-far-side';
import { agentCallTransfers, userCallTransfers } from '../call/transfer-plan';
import type { MetaConfig } from '../config/types';
import type { MediaService, MediaSession } from '../media/types';
import type { Logger } from '../util/logger';
import type { RateLimitedLog } from '../util/rate-limited-log';
import { REJECTIONS, reject, type Rejection, type RejectionCode } from './errors';
import { isGrant, type CallLimiter, type LimitDecision } from './call-limiter';
import { inviteView, type InviteView } from './invite-view';
import type { InboundCall, MetaAdmission } from './meta-admission';
import { answeringMeta, callingMeta, type MetaContact } from './meta-contact';
import type { NonceProof } from './nonce-proof';
import type { OutboundCall, PbxAdmission } from './pbx-admission';
import { checkExtensions } from './request-rules';
import type { SrfRequest, SrfResponse } from './srf-types';

/** What a reload replaces: everything built from numbers, PBXs, Meta settings and limits. */
export interface Routing {
  meta: MetaConfig;
  metaAdmission: MetaAdmission;
  pbxAdmission: PbxAdmission;
  metaTls: MetaTlsCheck;
  /** Meta's call permissions, asked before an agent's call goes out (kept across reloads: its cache and rate limit) */
  permissions?: PermissionCheck;
  /** this process's own limits, or those of every instance together (src/cluster/shared-limiter.ts) */
  limits: CallLimiter;
  session: SessionDeps;
  /** the header that carries the Meta leg's Call-ID to the PBX, for Homer ('' = none) */
  correlationHeader?: string;
}

export interface InviteRouterDeps {
  routing: () => Routing;
  media: MediaService;
  draining: () => boolean;
  onRejected: (code: RejectionCode, status: number) => void;
  /** our Contact toward Meta */
  metaContact: MetaContact;
  /** refusal lines, at most one per source address and code per interval */
  refusals: RateLimitedLog;
  /** digest nonces used at any gateway instance (src/cluster/shared-nonces.ts); absent: this instance's own check only */
  nonces?: { claim(proof: NonceProof, ttlMs: number): Promise<Rejection | null> };
  log: Logger;
}

/** what every admission hands on: the business number, and the digest nonce if one was checked */
type Admitted = { business: { number: string }; proof?: NonceProof };

/** an admitted INVITE on its way through the steps that may wait for Redis */
interface Admission<T extends Admitted> {
  req: SrfRequest;
  res: SrfResponse;
  log: Logger;
  r: Routing;
  call: T;
  begin: (call: T, m: MediaSession) => string;
  /** set once a step waits: a CANCEL meanwhile stops the call before it starts */
  cancel: { cancelled: boolean } | null;
}

function watchCancel(req: SrfRequest): { cancelled: boolean } {
  const c = { cancelled: false };
  req.on('cancel', () => {
    c.cancelled = true;
  });
  return c;
}

/**
 * Entry for every new INVITE: identify the trunk it came from (Meta by its address
 * ranges, a PBX by its allow-list), run that trunk's admission, and hand an admitted call
 * to a B2buaSession. Anything unidentified is refused here, before any media or B-leg
 * exists (SPEC R1).
 */
export class InviteRouter {
  constructor(private readonly deps: InviteRouterDeps) {}

  handle(req: SrfRequest, res: SrfResponse): void {
    const view = inviteView(req);
    const log = this.deps.log.child({ callId: view.callId, src: `${req.source_address}:${req.source_port}/${req.protocol}` });
    const r = this.deps.routing();
    try {
      // RFC 3261 §8.2.2 before anything else, from anyone: 400/416 Request-URI, 420 Require (SPEC R5)
      const malformed = checkExtensions(view);
      if (malformed) {
        this.refuse(res, log, malformed);
        return;
      }
      const legId = req.get('X-WA-Leg-Id');
      if (legId && this.deps.media.isMediaServerAddress(req.source_address)) {
        // a leg FreeSWITCH originated for us; one nobody waits for any more (timed out) is refused
        if (!this.deps.media.claimLeg(legId, req, res)) res.send(481, 'Leg Not Wanted', {});
        return;
      }
      // only a media server's own INVITEs are legs: from anywhere else the header means nothing
      // (rate-limited like the refusals: a sweep with the header is one line per source a minute)
      if (legId) {
        this.deps.refusals.note('warn', sourceAddress(log), 'LEG_ID_NOT_FROM_MEDIA_SERVER', { code: 'LEG_ID_NOT_FROM_MEDIA_SERVER' },
          'X-WA-Leg-Id from an address that is no media server: ignored, the INVITE goes through admission', log);
      }
      if (this.deps.draining()) {
        this.refuse(res, log, reject('DRAINING', 'shutting down', { 'Retry-After': '60' }));
        return;
      }
      if (r.metaAdmission.isMetaSource(req.source_address)) {
        this.start(req, res, log, r, r.metaAdmission.admit(view), (call, media) => this.inbound(r, req, res, view, call, media));
        return;
      }
      const pbx = r.pbxAdmission.identify(req.source_address);
      if (pbx) {
        this.start(req, res, log, r, r.pbxAdmission.admit(view, pbx), (call, media) => this.outbound(r, req, res, view, call, media));
        return;
      }
      this.refuse(res, log, reject('SOURCE_NOT_ALLOWED', 'INVITE from an address that is neither Meta nor a configured PBX'));
    } catch (err) {
      log.error({ err }, 'bug while routing an INVITE');
      if (!res.finalResponseSent) res.send(500);
    }
  }

  /** refuse, or check the nonce and the limits, allocate a media server and start the session */
  private start<T extends Admitted>(req: SrfRequest, res: SrfResponse, log: Logger, r: Routing, admitted: T | Rejection, begin: (call: T, m: MediaSession) => string): void {
    if ('code' in admitted) {
      this.refuse(res, log, admitted);
      return;
    }
    const a: Admission<T> = { req, res, log, r, call: admitted, begin, cancel: null };
    const claim = admitted.proof && this.deps.nonces ? this.deps.nonces.claim(admitted.proof, r.meta.nonce_ttl_seconds * 1000) : null;
    if (!claim) {
      this.limit(a);
      return;
    }
    a.cancel = watchCancel(req);
    this.later(a, claim.then((replay) => (replay ? this.refuse(res, log, replay) : this.limit(a))));
  }

  /**
   * The limits: this process's own answer at once (no Redis, so no await: set-up is as fast
   * as before), or all instances' after a round trip to Redis (src/cluster/shared-limiter.ts).
   */
  private limit<T extends Admitted>(a: Admission<T>): void {
    const decision = a.r.limits.acquire(a.call.business.number);
    if (!(decision instanceof Promise)) {
      this.launch(a, decision);
      return;
    }
    a.cancel ??= watchCancel(a.req);
    this.later(a, decision.then((d) => this.launch(a, d)));
  }

  /** a media server, then the session; the grant goes back when the call leaves the registry */
  private launch<T extends Admitted>(a: Admission<T>, decision: LimitDecision): void {
    if (!isGrant(decision)) {
      this.refuse(a.res, a.log, decision);
      return;
    }
    if (a.cancel?.cancelled) {
      // drachtio-server has answered the CANCEL 487 itself
      decision.release();
      a.log.debug('CANCEL while Redis was asked: not started');
      return;
    }
    const media = this.deps.media.allocate();
    if (!media || media === 'busy') {
      decision.release();
      this.refuse(a.res, a.log, media ? reject('MEDIA_BUSY', 'every media server is setting up as many legs as it may (freeswitch[].max_setups)')
        : reject('NO_MEDIA_SERVER', 'no FreeSWITCH server is connected'));
      return;
    }
    const id = a.begin(a.call, media);
    a.r.session.registry.whenRemoved(id, () => decision.release());
  }

  private later<T extends Admitted>(a: Admission<T>, step: Promise<void>): void {
    step.catch((err: unknown) => {
      a.log.error({ err }, 'bug while admitting an INVITE');
      if (!a.res.finalResponseSent) a.res.send(500);
    });
  }

  private inbound(r: Routing, req: SrfRequest, res: SrfResponse, view: InviteView, admitted: InboundCall, media: MediaSession): string {
    this.deps.log.info({ callId: view.callId, business: admitted.business.number, caller: admitted.caller, pbx: admitted.pbx.name }, 'Meta call admitted');
    const facts: CallFacts = {
      direction: 'user-initiated', businessNumber: admitted.business.number, whatsappUser: admitted.caller ?? admitted.userId ?? 'anonymous', wacid: admitted.wacid,
      pbx: admitted.pbx.name, pbxDestination: admitted.destination, metaCallId: view.callId, pbxCallId: null, mediaServer: null,
      metaCallDuration: null, metaWarning: null,
    };
    // Homer links the two legs by this header on the PBX leg (homer.correlation_header)
    const call = r.correlationHeader ? { ...admitted, pbxHeaders: { ...admitted.pbxHeaders, [r.correlationHeader]: view.callId } } : admitted;
    const far = new PbxFarSide(r.session.sip, call, r.meta.hostname);
    // our 200 OK to Meta carries a sip: Contact (meta-contact.ts)
    const deps = { ...r.session, sip: answeringMeta(r.session.sip, this.deps.metaContact, req) };
    const session = new B2buaSession(deps, { side: 'meta', req, res }, far, facts, {
      metaCallId: view.callId, wacid: call.wacid, business: call.business.number,
    }, userCallTransfers(r.session.sip, call, r.meta.hostname));
    void session.run(media);
    return session.id;
  }

  private outbound(r: Routing, req: SrfRequest, res: SrfResponse, view: InviteView, call: OutboundCall, media: MediaSession): string {
    this.deps.log.info({ callId: view.callId, business: call.business.number, dialed: call.dialed, pbx: call.pbx.name }, 'PBX call admitted');
    const facts: CallFacts = {
      direction: 'business-initiated', businessNumber: call.business.number, whatsappUser: call.dialed, wacid: null,
      pbx: call.pbx.name, pbxDestination: '', metaCallId: null, pbxCallId: view.callId, mediaServer: null,
      metaCallDuration: null, metaWarning: null,
    };
    const far = new MetaFarSide(callingMeta(r.session.sip, this.deps.metaContact), r.meta, call, r.metaTls, r.permissions ?? null);
    const session = new B2buaSession(r.session, { side: 'pbx', req, res }, far, facts, {
      pbxCallId: view.callId, business: call.business.number, dialed: call.dialed,
    }, agentCallTransfers(r.session.sip, call, r.meta.hostname));
    void session.run(media);
    return session.id;
  }

  private refuse(res: SrfResponse, log: Logger, r: Rejection): void {
    const { status, reason } = REJECTIONS[r.code];
    if (r.code.startsWith('AUTH_CHALLENGE')) {
      // the first step of every good call: not counted, not rate-limited
      log.debug({ code: r.code, status, detail: r.detail }, 'INVITE refused');
    } else {
      this.deps.onRejected(r.code, status);
      // a 10,000-INVITE scan from one address is one line (and a count), not 10,000
      this.deps.refusals.note('warn', sourceAddress(log), r.code, { code: r.code, status, detail: r.detail }, 'INVITE refused', log);
    }
    res.send(status, reason, { headers: r.headers ?? {} });
  }
}

/** the address of the `src` ("<address>:<port>/<transport>") the request's logger carries */
function sourceAddress(log: Logger): string {
  const src = String((log.bindings() as { src?: unknown }).src ?? '');
  return src.replace(/\/[a-z]+$/i, '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
}
