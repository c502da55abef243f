import { connect as tcpConnect } from 'node:net';
import { createServer, connect, type Server, type TLSSocket } from 'node:tls';
import { uriHost } from '../../../src/util/sip-uri';
import { randomToken, serialize, StreamFramer, type SipMessage } from './message';
import { SipPeer, type Received } from './peer';

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
    return `${uriHost(this.opts.host)}:${this.client?.localPort ?? this.opts.listenPort}`;
  }

  /** Record-Route as Meta sends it: its edge first, then its internal proxy */
  recordRoute(): string[] {
    return [
      `<sip:${uriHost(this.opts.host)}:${this.opts.listenPort};transport=tls;lr>`,
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
    tcp.setNoDelay(true); // as a SIP stack does: an ACK and the next INVITE are written back to back
    const sock = connect({ socket: tcp, servername: g.servername, ca: g.ca, rejectUnauthorized: true });
    await new Promise<void>((resolve, reject) => {
      sock.once('secureConnect', () => resolve());
      sock.once('error', reject);
    });
    this.client = sock;
    this.attach(sock);
    return sock;
  }

  /** over our connection to the gateway, else over the gateway's latest connection to us */
  send(msg: SipMessage): void {
    const sock = this.client ?? this.incoming[this.incoming.length - 1];
    if (!sock) throw new Error('MetaPeer: no connection to the gateway');
    sock.write(serialize(msg));
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

  /** Meta's 407 challenge to a business-initiated INVITE (SPEC M6), with `algorithm` */
  challenge(inv: Received, nonce: string, algorithm: 'MD5' | 'SHA-256' = 'MD5'): void {
    this.reject(inv, 407, 'Proxy Authentication Required', [
      ['Proxy-Authenticate', `Digest realm="wa.meta.vc",nonce="${nonce}",opaque="440badfc05072367",algorithm=${algorithm},qop="auth"`],
    ]);
  }

  /** a 407 with several Proxy-Authenticate headers, in this order (Meta has sent SHA-256, then MD5) */
  challengeMany(inv: Received, challenges: { nonce: string; algorithm: string }[]): void {
    this.reject(inv, 407, 'Proxy Authentication Required', challenges.map((c): [string, string] =>
      ['Proxy-Authenticate', `Digest realm="wa.meta.vc",nonce="${c.nonce}",opaque="440badfc05072367",algorithm=${c.algorithm},qop="auth"`]));
  }

  /** Meta's Contact on its answers */
  contact(user: string): string {
    return `<sip:${user}@wa.meta.vc;transport=tls;ob;X-FB-Sip-Smc-Tier=collaboration.sip_gateway.sip.prod>;isfocus`;
  }

  async close(): Promise<void> {
    this.client?.destroy();
    for (const s of this.incoming) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
