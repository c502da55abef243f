import { clip } from '../util/clip';
import type { Logger } from '../util/logger';
import type { RateLimitedLog } from '../util/rate-limited-log';
import { DROPS, REJECTIONS, type Rejection } from './errors';
import { ALLOW, outOfDialogAnswer } from './request-rules';

/**
 * Requests other than INVITE that reach us outside a dialog (SPEC R5). drachtio-server hands
 * the app only the methods it routes: for a method nobody routes it answers 503 itself, so
 * every method it would pass on is routed here. In-dialog requests never get here
 * (drachtio-srf's dialog layer takes them first).
 *
 * From an address that is neither Meta nor a configured PBX nothing is answered at all,
 * as SBCs do for scanners: a 200 to OPTIONS (or any answer, a 403 too) is how a sweep finds
 * a SIP host. Meta and the PBXs get RFC 3261's answers: 200 to OPTIONS (their keep-alives),
 * 405 with Allow, 416, 420 with Unsupported, 481, 501 (src/sip/request-rules.ts).
 *
 * What never reaches the app, answered or dropped by drachtio-server v0.9 itself: out-of-
 * dialog BYE, UPDATE and unmatched CANCEL (481); ACK, REFER, PRACK and unknown methods
 * (discarded, so no 501); malformed requests (400 from its SIP stack), a wrong SIP version (505).
 */
export const OUT_OF_DIALOG_METHODS = ['options', 'register', 'subscribe', 'notify', 'publish', 'message', 'info'] as const;

export interface OutOfDialogRequest {
  readonly method: string;
  readonly uri: string;
  readonly protocol: string;
  readonly source_address: string;
  readonly source_port: string | number;
  get(name: string): string | undefined;
}

export interface OutOfDialogResponse {
  finalResponseSent: boolean;
  send(status: number, reason: string, opts?: { headers?: Record<string, string> }): void;
}

export interface OutOfDialogDeps {
  /** Meta's ranges or a configured PBX's allow_sources (read per request: a reload swaps them) */
  trusted: (address: string) => boolean;
  onRefused: (code: string, status: number | null) => void;
  refusals: RateLimitedLog;
  log: Logger;
}

export class OutOfDialogRouter {
  constructor(private readonly deps: OutOfDialogDeps) {}

  handle(req: OutOfDialogRequest, res: OutOfDialogResponse): void {
    const source = req.source_address;
    try {
      if (!this.deps.trusted(source)) {
        this.deps.onRefused('STRANGER_REQUEST', null);
        this.deps.refusals.note('warn', source, 'STRANGER_REQUEST', { method: clip(req.method), transport: req.protocol, detail: DROPS.STRANGER_REQUEST }, 'request dropped');
        return;
      }
      const answer = outOfDialogAnswer(req);
      if (answer === 'ok') {
        res.send(200, 'OK', { headers: { Allow: ALLOW } });
        return;
      }
      this.refuse(req, res, answer);
    } catch (err) {
      this.deps.log.error({ err, method: clip(req.method), source }, 'bug while answering a request outside a dialog');
      if (!res.finalResponseSent) res.send(500, 'Server Internal Error');
    }
  }

  private refuse(req: OutOfDialogRequest, res: OutOfDialogResponse, r: Rejection): void {
    const { status, reason } = REJECTIONS[r.code];
    this.deps.onRefused(r.code, status);
    this.deps.refusals.note('warn', req.source_address, r.code, {
      code: r.code, status, method: clip(req.method), transport: req.protocol, callId: clip(req.get('Call-ID') ?? ''), detail: r.detail,
    }, 'request refused');
    res.send(status, reason, { headers: r.headers ?? {} });
  }
}
