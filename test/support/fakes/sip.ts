import { EventEmitter } from 'node:events';
import type { SendOptions, SipSignaling, SrfDialog, SrfRequest, SrfResponse, UacCallbacks, UacOptions } from '../../../src/sip/srf-types';

/**
 * Typed fakes of the SIP layer (src/sip/srf-types.ts) for the call-flow tier: no drachtio,
 * no sockets, every response and every in-dialog request delivered by the test, in the
 * order the test chooses (SIP.js tests its session layer this way, with a fake transport).
 */

function lookup(headers: Record<string, string>, name: string): string | undefined {
  const k = Object.keys(headers).find((h) => h.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : headers[k];
}

export class FakeRequest implements SrfRequest {
  readonly headers: Record<string, string>;
  body: string;
  /**
   * CANCELs on the wire for this request (an INVITE of ours). Like drachtio-server's SIP stack
   * (sofia-sip nta), a CANCEL asked for before any provisional waits for one (RFC 3261 §9.1)
   * and is dropped when a final response comes first.
   */
  cancels = 0;
  cancelAsked = false;
  private provisionalSeen = false;
  private finalSeen = false;
  private readonly emitter = new EventEmitter();

  constructor(
    readonly method: string,
    readonly uri: string,
    o: { headers?: Record<string, string>; body?: string; protocol?: string; source_address?: string; source_port?: number } = {},
  ) {
    this.headers = { ...(o.headers ?? {}) };
    this.body = o.body ?? '';
    this.protocol = o.protocol ?? 'udp';
    this.source_address = o.source_address ?? '127.0.0.1';
    this.source_port = o.source_port ?? 5060;
  }

  readonly protocol: string;
  readonly source_address: string;
  readonly source_port: number;

  get(name: string): string {
    return lookup(this.headers, name) as string;
  }

  has(name: string): boolean {
    return lookup(this.headers, name) !== undefined;
  }

  on(event: 'cancel', cb: (cancel: unknown) => void): void {
    this.emitter.on(event, cb);
  }

  cancel(cb: (err: unknown, cancel: unknown) => void): void {
    if (!this.cancelAsked && !this.finalSeen) {
      this.cancelAsked = true;
      if (this.provisionalSeen) this.cancels++;
    }
    cb(null, {});
  }

  /** the stack saw a provisional (100 included, which drachtio-server does not pass up) */
  stackProvisional(): void {
    if (this.finalSeen) return;
    if (this.cancelAsked && !this.provisionalSeen) this.cancels++;
    this.provisionalSeen = true;
  }

  stackFinal(): void {
    this.finalSeen = true;
  }

  /** our response to this (incoming) request, for what drachtio-server answers by itself */
  response: FakeResponse | null = null;

  /** the far end's CANCEL of this (incoming) INVITE: drachtio-server answers the INVITE 487 itself */
  emitCancel(): void {
    if (this.response && !this.response.finalResponseSent) this.response.byStack(487, 'Request Terminated');
    this.emitter.emit('cancel', {});
  }
}

export interface Sent {
  status: number;
  reason?: string;
  headers: Record<string, string>;
  body?: string;
}

/** our response to a request that reached us */
export class FakeResponse implements SrfResponse {
  readonly sent: Sent[] = [];
  finalResponseSent = false;
  readonly status = 0;
  readonly reason = '';
  readonly body = '';
  readonly source_address = '127.0.0.1';
  readonly source_port = 5060;

  get(): string {
    return '';
  }

  has(): boolean {
    return false;
  }

  send(status: number, reasonOrOpts?: string | SendOptions, maybeOpts?: SendOptions): void {
    if (this.finalResponseSent) throw new Error(`a second final response (${status}) to one request`);
    const opts = typeof reasonOrOpts === 'object' ? reasonOrOpts : maybeOpts;
    const reason = typeof reasonOrOpts === 'string' ? reasonOrOpts : undefined;
    this.sent.push({ status, ...(reason ? { reason } : {}), headers: opts?.headers ?? {}, ...(opts?.body !== undefined ? { body: opts.body } : {}) });
    if (status >= 200) this.finalResponseSent = true;
  }

  /** a response drachtio-server sent on its own (487 after a CANCEL) */
  byStack(status: number, reason: string): void {
    this.sent.push({ status, reason, headers: {} });
    this.finalResponseSent = true;
  }

  get statuses(): number[] {
    return this.sent.map((s) => s.status);
  }

  get final(): Sent | undefined {
    return this.sent.find((s) => s.status >= 200);
  }
}

/** a response from the far end (a challenge, a failure) as drachtio-srf hands it over */
export class FakeIncomingResponse implements SrfResponse {
  finalResponseSent = true;
  readonly body = '';

  constructor(
    readonly status: number,
    readonly reason: string,
    private readonly headers: Record<string, string> = {},
    readonly source_address = '127.0.0.10',
    readonly source_port = 5061,
  ) {}

  get(name: string): string {
    return lookup(this.headers, name) as string;
  }

  has(name: string): boolean {
    return lookup(this.headers, name) !== undefined;
  }

  send(): void {
    throw new Error('a response cannot be sent');
  }
}

export function sipError(status: number, reason: string, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(`${status} ${reason}`), { name: 'SipError', status, reason, res: new FakeIncomingResponse(status, reason, headers) });
}

/** an in-dialog request the far end sends us, and our answer to it */
export interface Exchange {
  req: FakeRequest;
  res: FakeResponse;
}

export class FakeDialog extends EventEmitter implements SrfDialog {
  connected = true;
  readonly local: { sdp: string };
  readonly remote: { sdp: string };
  readonly byes: { headers: Record<string, string> }[] = [];
  readonly requests: { method: string; headers?: Record<string, string>; body?: string }[] = [];
  readonly modifies: string[] = [];
  /** how our re-INVITEs are answered (default: the offer echoed back) */
  answerModify: (sdp: string) => Promise<string> = (sdp) => Promise.resolve(sdp);

  constructor(readonly sip: { callId: string; localTag: string; remoteTag: string }, localSdp: string, remoteSdp: string) {
    super();
    this.local = { sdp: localSdp };
    this.remote = { sdp: remoteSdp };
  }

  destroy(opts: { headers: Record<string, string> } | undefined, cb: (err: unknown) => void): void {
    if (!this.connected) {
      cb(new Error('dialog already ended'));
      return;
    }
    this.connected = false;
    this.byes.push({ headers: opts?.headers ?? {} });
    cb(null);
  }

  async modify(sdp: string): Promise<string> {
    this.modifies.push(sdp);
    const answer = await this.answerModify(sdp);
    this.remote.sdp = answer;
    return answer;
  }

  async request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<SrfResponse> {
    this.requests.push(opts);
    return new FakeIncomingResponse(200, 'OK');
  }

  /** the far end's BYE */
  remoteBye(headers: Record<string, string> = {}): void {
    this.connected = false;
    this.emit('destroy', new FakeRequest('BYE', 'sip:gw', { headers }));
  }

  /** an in-dialog request from the far end (re-INVITE = 'modify', UPDATE, INFO, REFER) */
  incoming(event: 'modify' | 'update' | 'info' | 'refer', method: string, o: { body?: string; headers?: Record<string, string> } = {}): Exchange {
    const req = new FakeRequest(method, 'sip:gw', o);
    const res = new FakeResponse();
    this.emit(event, req, res);
    return { req, res };
  }

  /** the far end's ACK; one with SDP (the answer to an offer in our 200 OK) is recorded as drachtio-srf does */
  ack(o: { body?: string; headers?: Record<string, string> } = {}): void {
    if (o.body) this.remote.sdp = o.body;
    this.emit('ack', new FakeRequest('ACK', 'sip:gw', o));
  }
}

/** an INVITE the session sent through createUAC, answered by the test */
export class FakeUac {
  readonly request: FakeRequest;
  private settle!: { resolve: (d: SrfDialog) => void; reject: (e: Error) => void };
  readonly result: Promise<SrfDialog>;
  done = false;

  constructor(readonly uri: string, readonly opts: UacOptions, private readonly callbacks: UacCallbacks | undefined, callId: string) {
    this.request = new FakeRequest('INVITE', uri, {
      headers: { 'Call-ID': opts.headers?.['Call-ID'] ?? callId, CSeq: opts.headers?.CSeq ?? '1 INVITE', From: opts.headers?.From ?? '<sip:from@gw>;tag=f1', To: opts.headers?.To ?? `<${uri}>`, ...opts.headers },
      body: opts.localSdp ?? '',
    });
    this.result = new Promise((resolve, reject) => { this.settle = { resolve, reject }; });
    this.result.catch(() => undefined);
  }

  /** drachtio-srf reports the request as sent */
  sent(): void {
    this.callbacks?.cbRequest?.(null, this.request);
  }

  /** a provisional from the far end; drachtio-server keeps a 100 Trying to itself */
  provisional(status: number): void {
    this.request.stackProvisional();
    if (status > 100) this.callbacks?.cbProvisional?.(new FakeIncomingResponse(status, 'Ringing'));
  }

  fail(status: number, reason: string, headers: Record<string, string> = {}): void {
    this.done = true;
    this.request.stackFinal();
    this.settle.reject(sipError(status, reason, headers));
  }

  /** a 2xx: the dialog, with the far end's SDP */
  answer(sdp = FAR_SDP): FakeDialog {
    this.done = true;
    this.request.stackFinal();
    const d = new FakeDialog({ callId: this.request.get('Call-ID'), localTag: 'l', remoteTag: 'r' }, this.opts.localSdp ?? '', sdp);
    this.settle.resolve(d);
    return d;
  }
}

export const FAR_SDP = 'v=0\r\no=far 1 1 IN IP4 127.0.0.20\r\ns=-\r\nc=IN IP4 127.0.0.20\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n';

/** SipSignaling whose INVITEs are answered by the test; createUAS answers at once */
export class FakeSignaling implements SipSignaling {
  readonly uacs: FakeUac[] = [];
  readonly uasDialogs: FakeDialog[] = [];
  private waiters: ((u: FakeUac) => void)[] = [];
  /** what createUAS does: a dialog that is up (default), one already ended, or a failure */
  uasMode: 'up' | 'already-ended' | 'fail' = 'up';

  createUAC(uri: string, opts: UacOptions, callbacks?: UacCallbacks): Promise<SrfDialog> {
    const uac = new FakeUac(uri, opts, callbacks, `fake-${this.uacs.length + 1}`);
    this.uacs.push(uac);
    uac.sent();
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn(uac);
    return uac.result;
  }

  async createUAS(req: SrfRequest, res: SrfResponse, opts: { localSdp: string; headers?: Record<string, string> }): Promise<SrfDialog> {
    if (this.uasMode === 'fail') throw new Error('drachtio-server refused the 200 OK');
    res.send(200, { body: opts.localSdp, ...(opts.headers ? { headers: opts.headers } : {}) });
    const d = new FakeDialog({ callId: req.get('Call-ID'), localTag: 'u', remoteTag: 'c' }, opts.localSdp, req.body);
    if (this.uasMode === 'already-ended') d.connected = false;
    this.uasDialogs.push(d);
    return d;
  }

  /** the next INVITE the session sends (or the latest one, if it is already out and unanswered) */
  nextUac(): Promise<FakeUac> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
