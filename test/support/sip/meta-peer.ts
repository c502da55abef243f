import { connect as tcpConnect } from 'node:net';
import { createServer, connect, type Server, type TLSSocket } from 'node:tls';
import { digestResponse, parseDigestHeader, parseAlgorithm } from '../../../src/auth/digest';
import { header, randomToken, serialize, StreamFramer, type SipMessage } from './message';
import { SipPeer } from './peer';

/**
 * Plays Meta's SIP side over TLS, shaped after the real traces in meta-docs: it connects
 * to the gateway as a TLS client (verifying the gateway's certificate and hostname, as
 * Meta does) and listens as a TLS server for the requests the gateway routes to it.
 */
export interface MetaPeerOptions {
  /** the loopback address playing Meta */
  host: string;
  /** TLS port of the emulator's listener (first Record-Route hop) */
  listenPort: number;
  cert: string;
  key: string;
  /** the gateway's TLS address and the CA / name to verify it by */
  gateway: { host: string; port: number; servername: string; ca: string };
}

export class MetaPeer extends SipPeer {
  private server: Server | null = null;
  private client: TLSSocket | null = null;
  readonly incoming: TLSSocket[] = [];

  private constructor(readonly opts: MetaPeerOptions) {
    super();
  }

  static async start(opts: MetaPeerOptions): Promise<MetaPeer> {
    const peer = new MetaPeer(opts);
    await peer.listen();
    return peer;
  }

  protected viaTransport(): string {
    return 'TLS';
  }

  protected viaHostPort(): string {
    return `${this.opts.host}:${this.client?.localPort ?? this.opts.listenPort}`;
  }

  /** Record-Route as Meta sends it: its edge first, then its internal proxy */
  recordRoute(): string[] {
    return [
      `<sip:${this.opts.host}:${this.opts.listenPort};transport=tls;lr>`,
      '<sip:onevc-sip-proxy.fbinfra.net:8191;transport=tls;lr>',
    ];
  }

  private listen(): Promise<void> {
    this.server = createServer({ cert: this.opts.cert, key: this.opts.key }, (sock) => {
      this.incoming.push(sock);
      this.attach(sock);
    });
    return new Promise((resolve) => this.server!.listen(this.opts.listenPort, this.opts.host, () => resolve()));
  }

  private attach(sock: TLSSocket): void {
    const framer = new StreamFramer();
    sock.on('data', (chunk: Buffer) => {
      for (const msg of framer.push(chunk)) this.deliver(msg, (m) => sock.write(serialize(m)));
    });
    sock.on('error', () => undefined);
  }

  /** open the TLS connection to the gateway, verifying its certificate as Meta would */
  async connect(localAddress = this.opts.host): Promise<TLSSocket> {
    const g = this.opts.gateway;
    const tcp = tcpConnect({ host: g.host, port: g.port, localAddress });
    const sock = connect({ socket: tcp, servername: g.servername, ca: g.ca, rejectUnauthorized: true });
    await new Promise<void>((resolve, reject) => {
      sock.once('secureConnect', () => resolve());
      sock.once('error', reject);
    });
    this.client = sock;
    this.attach(sock);
    return sock;
  }

  send(msg: SipMessage): void {
    if (!this.client) throw new Error('MetaPeer: not connected');
    this.client.write(serialize(msg));
  }

  /** a user-initiated INVITE as in Meta's traces */
  buildInvite(o: { business: string; user: string; gatewayHost: string; sdp: string; wacid?: string; extra?: [string, string][]; userParams?: string }): SipMessage {
    const wacid = o.wacid ?? `HBgL${randomToken()}`;
    return {
      method: 'INVITE',
      uri: `sip:${o.business}${o.userParams ?? ''}@${o.gatewayHost};transport=tls`,
      headers: [
        ['Via', this.via() + ';alias'],
        ...this.recordRoute().map((r): [string, string] => ['Record-Route', r]),
        ['Max-Forwards', '69'],
        ['From', `"${o.user.slice(1)}" <sip:${o.user}@wa.meta.vc>;tag=${randomToken('f')}`],
        ['To', `<sip:${o.business}@${o.gatewayHost}>`],
        ['Contact', `<sip:${o.user}@wa.meta.vc;transport=tls;ob>;isfocus`],
        ['Call-ID', `outgoing:wacid.${wacid}`],
        ['CSeq', `${1000 + Math.floor(Math.random() * 30000)} INVITE`],
        ['X-FB-External-Domain', 'wa.meta.vc'],
        ['x-wa-meta-wacid', wacid],
        ['Allow', 'INVITE, ACK, BYE, CANCEL, NOTIFY, OPTIONS'],
        ['User-Agent', 'Facebook SipGateway'],
        ...(o.extra ?? []),
        ['Content-Type', 'application/sdp'],
      ],
      body: o.sdp,
    };
  }

  /** the same INVITE again, CSeq+1, new branch, with credentials answering `challenge` */
  withCredentials(invite: SipMessage, challenge: SipMessage, username: string, password: string, uri: string): SipMessage {
    const authName = challenge.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const c = parseDigestHeader(header(challenge, authName));
    if (!c?.nonce || !c.realm) throw new Error(`no digest challenge in ${challenge.status}`);
    const algorithm = parseAlgorithm(c.algorithm) ?? 'MD5';
    const cnonce = randomToken('c');
    const response = digestResponse({ algorithm, username, realm: c.realm, password, method: 'INVITE', uri, nonce: c.nonce, qop: 'auth', nc: '00000001', cnonce });
    const value = `Digest username="${username}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, cnonce="${cnonce}", opaque="${c.opaque ?? ''}", qop=auth, nc=00000001`;
    const [seq] = (header(invite, 'CSeq') ?? '1').split(' ');
    const headers = invite.headers
      .filter(([n]) => !/^(via|cseq|proxy-authorization|authorization)$/i.test(n))
      .map((h): [string, string] => [h[0], h[1]]);
    headers.unshift(['Via', this.via() + ';alias']);
    headers.push(['CSeq', `${Number(seq) + 1} INVITE`], [challenge.status === 401 ? 'Authorization' : 'Proxy-Authorization', value]);
    return { ...invite, headers };
  }

  /** ACK for a non-2xx final response: same branch as the INVITE (RFC 3261 §17.1.1.3) */
  ackNon2xx(invite: SipMessage, resp: SipMessage): void {
    const [seq] = (header(invite, 'CSeq') ?? '1').split(' ');
    this.send({
      method: 'ACK',
      uri: invite.uri,
      headers: [
        ['Via', header(invite, 'Via')!],
        ['Max-Forwards', '70'],
        ['From', header(invite, 'From')!],
        ['To', header(resp, 'To')!],
        ['Call-ID', header(invite, 'Call-ID')!],
        ['CSeq', `${seq} ACK`],
      ],
      body: '',
    });
  }

  /** CANCEL for a pending INVITE */
  cancel(invite: SipMessage): void {
    const [seq] = (header(invite, 'CSeq') ?? '1').split(' ');
    this.send({
      method: 'CANCEL',
      uri: invite.uri,
      headers: [
        ['Via', header(invite, 'Via')!],
        ['Max-Forwards', '70'],
        ['From', header(invite, 'From')!],
        ['To', header(invite, 'To')!],
        ['Call-ID', header(invite, 'Call-ID')!],
        ['CSeq', `${seq} CANCEL`],
      ],
      body: '',
    });
  }

  async close(): Promise<void> {
    this.client?.destroy();
    for (const s of this.incoming) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
