import { digestResponse, parseAlgorithm, parseDigestHeader } from '../../../src/auth/digest';
import { type Dialog, dialogRequest } from '../../../src/testcall/sip/dialog';
import { cseqOf, header, headerAll, randomToken, responseTo, serialize, tagOf, uriOf, type SipMessage } from './message';

/**
 * What the Meta and PBX test peers share: an inbox of everything received (with a way to
 * reply on the same transport), waiting for a message with a timeout, automatic answers
 * to BYE / CANCEL / OPTIONS, and building in-dialog requests.
 */

export interface Received {
  msg: SipMessage;
  at: number;
  reply(msg: SipMessage): void;
}

export type { Dialog };

type Pred = (r: Received) => boolean;

export abstract class SipPeer {
  readonly received: Received[] = [];
  private waiters: { pred: Pred; resolve: (r: Received) => void }[] = [];
  /** answer BYE, CANCEL (and 487 the INVITE) and OPTIONS by ourselves */
  autoAnswer = true;
  /** with autoAnswer, answer each INVITE 100 Trying at once (off: a peer that is slow to respond at all) */
  sendTrying = true;
  /** keep every message in `received` (a load run turns this off and uses onMessage) */
  keepHistory = true;
  /** called for every message received */
  onMessage: ((r: Received) => void) | null = null;
  /** our 2xx to an INVITE, resent until its ACK comes (UDP peers, RFC 3261 13.3.1.4), by Call-ID */
  private readonly unacked = new Map<string, NodeJS.Timeout>();

  /** does this peer resend its 2xx to an INVITE until the ACK (an unreliable transport)? */
  protected resends2xx(): boolean {
    return false;
  }

  protected abstract viaTransport(): string;
  protected abstract viaHostPort(): string;
  abstract send(msg: SipMessage): void;

  protected deliver(msg: SipMessage, reply: (m: SipMessage) => void): void {
    const r: Received = { msg, at: Date.now(), reply };
    if (msg.method === 'ACK' || msg.method === 'BYE') this.acked(header(msg, 'Call-ID') ?? '');
    if (this.keepHistory) this.received.push(r);
    if (this.autoAnswer) this.autoRespond(r);
    this.onMessage?.(r);
    const i = this.waiters.findIndex((w) => w.pred(r));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      w!.resolve(r);
    }
  }

  private autoRespond(r: Received): void {
    const m = r.msg.method;
    if (m === 'BYE' || m === 'OPTIONS') r.reply(responseTo(r.msg, 200, 'OK'));
    if (m === 'INVITE' && this.sendTrying) r.reply(responseTo(r.msg, 100, 'Trying'));
    if (m === 'CANCEL') {
      r.reply(responseTo(r.msg, 200, 'OK'));
      const callId = header(r.msg, 'Call-ID');
      const inv = this.received.find((x) => x.msg.method === 'INVITE' && header(x.msg, 'Call-ID') === callId);
      if (inv) inv.reply(responseTo(inv.msg, 487, 'Request Terminated', { toTag: randomToken('t') }));
    }
  }

  /** the first message (already received or still to come) matching `pred`, consumed once */
  wait(pred: Pred, timeoutMs: number, what: string, since = 0): Promise<Received> {
    const seen = this.received.find((r) => r.at >= since && pred(r) && !consumed.has(r));
    if (seen) {
      consumed.add(seen);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timeout after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = (r: Received) => {
        clearTimeout(timer);
        consumed.add(r);
        resolve(r);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  waitRequest(method: string, callId: string | null, timeoutMs = 10_000): Promise<Received> {
    return this.wait((r) => r.msg.method === method && (!callId || header(r.msg, 'Call-ID') === callId), timeoutMs, `${method} ${callId ?? ''}`);
  }

  /** the next response to the request with this Call-ID and CSeq (method: INVITE unless said) */
  waitResponse(callId: string, cseq: number, pred: (status: number) => boolean, timeoutMs = 10_000, method = 'INVITE'): Promise<Received> {
    return this.wait(
      (r) => r.msg.status !== undefined && header(r.msg, 'Call-ID') === callId && cseqOf(r.msg).seq === cseq
        && cseqOf(r.msg).method === method && pred(r.msg.status),
      timeoutMs,
      `response to CSeq ${cseq} of ${callId}`,
    );
  }

  /** all requests of a method seen so far (for "the emulator saw nothing" checks) */
  requests(method: string, callId?: string): SipMessage[] {
    return this.received.filter((r) => r.msg.method === method && (!callId || header(r.msg, 'Call-ID') === callId)).map((r) => r.msg);
  }

  via(): string {
    return `SIP/2.0/${this.viaTransport()} ${this.viaHostPort()};rport;branch=z9hG4bK${randomToken()}`;
  }

  /** an in-dialog request (BYE, re-INVITE, ...) */
  inDialog(d: Dialog, method: string, extra: [string, string][] = [], body = ''): SipMessage {
    d.cseq += 1;
    return dialogRequest(d, method, this.via(), d.cseq, extra, body);
  }

  async request(msg: SipMessage, timeoutMs = 10_000): Promise<SipMessage> {
    const callId = header(msg, 'Call-ID')!;
    const { seq, method } = cseqOf(msg);
    this.send(msg);
    return (await this.waitResponse(callId, seq, (s) => s >= 200, timeoutMs, method)).msg;
  }

  /** the dialog a UAS gets by answering `invite` with To-tag `localTag` */
  static uasDialog(invite: SipMessage, localTag: string): Dialog {
    return {
      callId: header(invite, 'Call-ID')!,
      localTag,
      remoteTag: tagOf(header(invite, 'From'))!,
      remoteTarget: uriOf(header(invite, 'Contact')!),
      localUri: uriOf(header(invite, 'To')!),
      remoteUri: uriOf(header(invite, 'From')!),
      routes: headerAll(invite, 'Record-Route'),
      cseq: 1000,
    };
  }

  /** the dialog a UAC gets from a 2xx to its INVITE */
  static uacDialog(invite: SipMessage, ok: SipMessage): Dialog {
    return {
      callId: header(invite, 'Call-ID')!,
      localTag: tagOf(header(invite, 'From'))!,
      remoteTag: tagOf(header(ok, 'To'))!,
      remoteTarget: uriOf(header(ok, 'Contact')!),
      localUri: uriOf(header(invite, 'From')!),
      remoteUri: uriOf(header(invite, 'To')!),
      routes: headerAll(ok, 'Record-Route').reverse(),
      cseq: cseqOf(invite).seq,
    };
  }

  /** ACK for a 2xx (its own transaction); with `sdp`, the answer to an offer in that 2xx */
  ack2xx(d: Dialog, inviteCseq: number, sdp?: string): void {
    this.send(dialogRequest(d, 'ACK', this.via(), inviteCseq, sdp ? [['Content-Type', 'application/sdp']] : [], sdp ?? ''));
  }

  /** next out-of-dialog INVITE sent to us (a new call) */
  nextInvite(timeoutMs = 10_000): Promise<Received> {
    return this.wait((r) => r.msg.method === 'INVITE' && !/tag=/.test(header(r.msg, 'To') ?? ''), timeoutMs, 'a new INVITE');
  }

  ring(inv: Received, toTag: string, contact: string): void {
    inv.reply(responseTo(inv.msg, 180, 'Ringing', { toTag, headers: [['Contact', contact]] }));
  }

  /** answer with SDP (and optional Record-Route for the response); returns the UAS dialog */
  answerWith(inv: Received, sdp: string, contact: string, o: { toTag?: string; recordRoute?: string[] } = {}): Dialog {
    const toTag = o.toTag ?? randomToken('u');
    const resp = responseTo(inv.msg, 200, 'OK', { toTag, headers: [['Contact', contact], ['Content-Type', 'application/sdp']], body: sdp });
    if (o.recordRoute) {
      resp.headers = resp.headers.filter(([n]) => n.toLowerCase() !== 'record-route');
      resp.headers.splice(1, 0, ...o.recordRoute.map((r): [string, string] => ['Record-Route', r]));
    }
    inv.reply(resp);
    if (this.resends2xx()) this.resendUntilAck(inv, resp);
    return SipPeer.uasDialog(inv.msg, toTag);
  }

  /**
   * A 2xx to an INVITE is the UAS's to retransmit (RFC 3261 13.3.1.4): at T1 = 500 ms, doubling
   * to T2 = 4 s, until the ACK (or a BYE) comes, for at most 64 × T1. Over UDP a 200 OK can be
   * lost (a loaded drachtio-server's receive buffer overflows); without this the call would
   * hang until the gateway's ring timeout, which a real PBX never makes it do.
   */
  private resendUntilAck(inv: Received, resp: SipMessage): void {
    const callId = header(inv.msg, 'Call-ID') ?? '';
    const started = Date.now();
    const next = (interval: number) => {
      this.unacked.set(callId, setTimeout(() => {
        if (Date.now() - started >= 32_000) { this.unacked.delete(callId); return; }
        inv.reply(resp);
        next(Math.min(interval * 2, 4000));
      }, interval).unref());
    };
    clearTimeout(this.unacked.get(callId));
    next(500);
  }

  private acked(callId: string): void {
    clearTimeout(this.unacked.get(callId));
    this.unacked.delete(callId);
  }

  /** no more retransmissions (the peer is closing) */
  protected stopResending(): void {
    for (const t of this.unacked.values()) clearTimeout(t);
    this.unacked.clear();
  }

  reject(inv: Received, status: number, reason: string, headers: [string, string][] = []): void {
    inv.reply(responseTo(inv.msg, status, reason, { toTag: randomToken('r'), headers }));
  }

  /** the same request again, CSeq+1, new branch, with credentials answering `challenge` */
  withCredentials(req: SipMessage, challenge: SipMessage, username: string, password: string, uri: string): SipMessage {
    const authName = challenge.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const c = parseDigestHeader(header(challenge, authName));
    if (!c?.nonce || !c.realm) throw new Error(`no digest challenge in ${challenge.status}`);
    const algorithm = parseAlgorithm(c.algorithm) ?? 'MD5';
    const cnonce = randomToken('c');
    const response = digestResponse({ algorithm, username, realm: c.realm, password, method: req.method!, uri, nonce: c.nonce, qop: 'auth', nc: '00000001', cnonce });
    const value = `Digest username="${username}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, cnonce="${cnonce}", opaque="${c.opaque ?? ''}", qop=auth, nc=00000001`;
    const { seq } = cseqOf(req);
    const headers = req.headers.filter(([n]) => !/^(via|cseq|proxy-authorization|authorization)$/i.test(n)).map((h): [string, string] => [h[0], h[1]]);
    headers.unshift(['Via', this.via()]);
    headers.push(['CSeq', `${seq + 1} ${req.method}`], [challenge.status === 401 ? 'Authorization' : 'Proxy-Authorization', value]);
    return { ...req, headers };
  }

  /** ACK for a non-2xx final response: same branch as the INVITE (RFC 3261 §17.1.1.3) */
  ackNon2xx(invite: SipMessage, resp: SipMessage): void {
    this.send(inInviteTransaction(invite, 'ACK', header(resp, 'To')!));
  }

  /** CANCEL for a pending INVITE */
  cancel(invite: SipMessage): void {
    this.send(inInviteTransaction(invite, 'CANCEL', header(invite, 'To')!));
  }

  static text(msg: SipMessage): string {
    return serialize(msg);
  }
}

const consumed = new WeakSet<Received>();

/** a request that belongs to the INVITE's own transaction (its Via branch and CSeq number) */
function inInviteTransaction(invite: SipMessage, method: 'ACK' | 'CANCEL', to: string): SipMessage {
  return {
    method,
    uri: invite.uri,
    headers: [
      ['Via', header(invite, 'Via')!],
      ['Max-Forwards', '70'],
      ['From', header(invite, 'From')!],
      ['To', to],
      ['Call-ID', header(invite, 'Call-ID')!],
      ['CSeq', `${cseqOf(invite).seq} ${method}`],
    ],
    body: '',
  };
}
