import { connect as tcpConnect } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { uriHost } from '../../util/sip-uri';
import { type Arrived, Inbox } from './inbox';
import { type Dialog, dialogRequest } from './dialog';
import { cseqOf, header, randomToken, responseTo, serialize, StreamFramer, tagOf, uriOf, type SipMessage } from './message';

/**
 * Meta's side of the SIP signalling for `test-call`: one TLS connection to the gateway,
 * verifying its certificate and name as Meta does (no client certificate), the requests of
 * a user-initiated call shaped after Meta's traces (meta-docs), and the answers Meta gives
 * by itself (200 to the gateway's BYE and OPTIONS). Everything received can be awaited.
 */

export interface MetaClientOptions {
  host: string;
  port: number;
  /** name the gateway's certificate must carry (Meta: the hostname configured on the number) */
  servername: string;
  /** PEM CA bundle; absent: the system's CAs */
  ca?: string;
  /** source address to connect from (one in meta.source_ranges) */
  localAddress?: string;
  connectTimeoutMs?: number;
}

export class MetaClient {
  private readonly inbox = new Inbox();
  private closed = false;

  private constructor(private readonly sock: TLSSocket) {
    const framer = new StreamFramer();
    sock.on('data', (chunk: Buffer) => {
      let msgs: SipMessage[];
      try {
        msgs = framer.push(chunk);
      } catch {
        return; // not SIP: the report shows what did arrive
      }
      for (const m of msgs) this.deliver(m);
    });
    sock.on('close', () => this.shut());
    sock.on('error', () => this.shut());
  }

  /** TLS to the gateway; rejects with the TLS error (certificate, name, refused) */
  static async connect(o: MetaClientOptions): Promise<MetaClient> {
    const tcp = tcpConnect({ host: o.host, port: o.port, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
    tcp.setNoDelay(true);
    const sock = connect({ socket: tcp, servername: o.servername, ...(o.ca ? { ca: o.ca } : {}), rejectUnauthorized: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no TLS connection to ${o.host}:${o.port} within ${o.connectTimeoutMs ?? 5000} ms`)), o.connectTimeoutMs ?? 5000);
      sock.once('secureConnect', () => { clearTimeout(timer); resolve(); });
      sock.once('error', (err) => { clearTimeout(timer); reject(err); });
    }).catch((err: unknown) => {
      sock.destroy();
      throw err;
    });
    return new MetaClient(sock);
  }

  get localAddress(): string {
    return this.sock.localAddress ?? '127.0.0.1';
  }

  get localPort(): number {
    return this.sock.localPort ?? 0;
  }

  /** the negotiated TLS version, e.g. TLSv1.3 */
  get protocol(): string {
    return this.sock.getProtocol() ?? 'TLS';
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  send(msg: SipMessage): void {
    if (!this.closed) this.sock.write(serialize(msg));
  }

  /** the first message matching `pred` (already received or still to come), or null at the timeout or when the connection closes */
  next(pred: (m: SipMessage) => boolean, timeoutMs: number): Promise<Arrived | null> {
    return this.inbox.next(pred, timeoutMs);
  }

  /** the next response to this request (by Call-ID, CSeq number and method) */
  response(req: SipMessage, timeoutMs: number, final = false): Promise<Arrived | null> {
    const callId = header(req, 'Call-ID');
    const { seq, method } = cseqOf(req);
    return this.next((m) => m.status !== undefined && (!final || m.status >= 200) && header(m, 'Call-ID') === callId
      && cseqOf(m).seq === seq && cseqOf(m).method === method, timeoutMs);
  }

  via(): string {
    return `SIP/2.0/TLS ${uriHost(this.localAddress)}:${this.localPort};rport;branch=z9hG4bK${randomToken()};alias`;
  }

  /** Record-Route as Meta sends it: its edge (here: this connection, so that the gateway's requests come back on it), then its proxy */
  recordRoute(): string[] {
    return [`<sip:${uriHost(this.localAddress)}:${this.localPort};transport=tls;lr>`, '<sip:onevc-sip-proxy.fbinfra.net:8191;transport=tls;lr>'];
  }

  /** a user-initiated INVITE as in Meta's traces (SPEC M2, M9) */
  invite(o: { business: string; user: string; gatewayHost: string; sdp: string; wacid: string; extra?: [string, string][] }): SipMessage {
    return {
      method: 'INVITE',
      uri: `sip:${o.business}@${o.gatewayHost};transport=tls`,
      headers: [
        ['Via', this.via()],
        ...this.recordRoute().map((r): [string, string] => ['Record-Route', r]),
        ['Max-Forwards', '69'],
        ['From', `"${o.user.slice(1)}" <sip:${o.user}@wa.meta.vc>;tag=${randomToken('f')}`],
        ['To', `<sip:${o.business}@${o.gatewayHost}>`],
        ['Contact', `<sip:${o.user}@wa.meta.vc;transport=tls;ob>;isfocus`],
        ['Call-ID', `outgoing:wacid.${o.wacid}`],
        ['CSeq', `${1000 + Math.floor(Math.random() * 30000)} INVITE`],
        ['X-FB-External-Domain', 'wa.meta.vc'],
        ['x-wa-meta-wacid', o.wacid],
        ['Allow', 'INVITE, ACK, BYE, CANCEL, NOTIFY, OPTIONS'],
        ['User-Agent', 'wa-sip-gateway test-call'],
        ...(o.extra ?? []),
        ['Content-Type', 'application/sdp'],
      ],
      body: o.sdp,
    };
  }

  /** the INVITE again with credentials: new branch, CSeq+1, `authorization` added */
  reinviteWith(invite: SipMessage, authorization: { header: string; value: string }): SipMessage {
    const { seq, method } = cseqOf(invite);
    const headers = invite.headers.filter(([n]) => !/^(via|cseq)$/i.test(n));
    return { ...invite, headers: [['Via', this.via()], ...headers, ['CSeq', `${seq + 1} ${method}`], [authorization.header, authorization.value]] };
  }

  /** ACK of a non-2xx final response: the INVITE's own transaction (RFC 3261 §17.1.1.3) */
  ackNon2xx(invite: SipMessage, resp: SipMessage): void {
    this.send({
      method: 'ACK',
      uri: invite.uri,
      headers: [['Via', header(invite, 'Via')!], ['Max-Forwards', '70'], ['From', header(invite, 'From')!], ['To', header(resp, 'To')!],
        ['Call-ID', header(invite, 'Call-ID')!], ['CSeq', `${cseqOf(invite).seq} ACK`]],
      body: '',
    });
  }

  /** the dialog of a 2xx to our INVITE; Meta is the last hop, so no Route toward the gateway */
  static dialog(invite: SipMessage, ok: SipMessage): Dialog {
    return {
      callId: header(invite, 'Call-ID')!, localTag: tagOf(header(invite, 'From'))!, remoteTag: tagOf(header(ok, 'To')) ?? '',
      remoteTarget: uriOf(header(ok, 'Contact') ?? invite.uri!), localUri: uriOf(header(invite, 'From')!), remoteUri: uriOf(header(invite, 'To')!),
      routes: [], cseq: cseqOf(invite).seq,
    };
  }

  /** an in-dialog request (ACK for the 2xx keeps the INVITE's CSeq number) */
  inDialog(d: Dialog, method: string, extra: [string, string][] = []): SipMessage {
    const seq = method === 'ACK' ? d.cseq : ++d.cseq;
    return dialogRequest(d, method, this.via(), seq, extra);
  }

  close(): void {
    this.shut();
    this.sock.destroy();
  }

  private deliver(msg: SipMessage): void {
    // what Meta answers by itself: the gateway's BYE, OPTIONS keep-alives, a CANCEL of nothing
    if (msg.method === 'BYE' || msg.method === 'OPTIONS') this.send(responseTo(msg, 200, 'OK'));
    else if (msg.method && msg.method !== 'ACK') this.send(responseTo(msg, 481, 'Call/Transaction Does Not Exist'));
    this.inbox.push(msg);
  }

  private shut(): void {
    if (this.closed) return;
    this.closed = true;
    this.inbox.close();
  }
}
