import { createServer, type Server, type TLSSocket } from 'node:tls';
import { type Arrived, Inbox } from './inbox';
import { responseTo, serialize, StreamFramer, type SipMessage } from './message';

/**
 * `test-call --outbound`: stands where wa.meta.vc stands, a TLS server the gateway's
 * business-initiated INVITEs come to (meta.outbound_host / outbound_port pointed here).
 * Every message can be awaited; replies go back on the connection the request came on,
 * and so do our own requests (BYE), on the gateway's latest connection.
 */
export class MetaListener {
  private readonly inbox = new Inbox();
  private readonly conns: TLSSocket[] = [];
  private readonly origin = new WeakMap<SipMessage, TLSSocket>();

  private constructor(private readonly server: Server, readonly host: string, readonly port: number) {}

  static async listen(o: { host: string; port: number; cert: string; key: string }): Promise<MetaListener> {
    let self: MetaListener | null = null;
    const server = createServer({ cert: o.cert, key: o.key, requestCert: false }, (sock) => self?.attach(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    self = new MetaListener(server, o.host, typeof address === 'object' && address ? address.port : o.port);
    return self;
  }

  next(pred: (m: SipMessage) => boolean, timeoutMs: number): Promise<Arrived | null> {
    return this.inbox.next(pred, timeoutMs);
  }

  /** a response to `req`, on the connection it came on */
  reply(req: SipMessage, resp: SipMessage): void {
    const sock = this.origin.get(req) ?? this.conns[this.conns.length - 1];
    sock?.write(serialize(resp));
  }

  send(msg: SipMessage): void {
    this.conns[this.conns.length - 1]?.write(serialize(msg));
  }

  /** the address of the connection the request came from */
  remoteOf(req: SipMessage): string {
    const s = this.origin.get(req);
    return s ? `${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'}` : '?';
  }

  async close(): Promise<void> {
    this.inbox.close();
    for (const s of this.conns) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private attach(sock: TLSSocket): void {
    this.conns.push(sock);
    const framer = new StreamFramer();
    sock.on('data', (chunk: Buffer) => {
      let msgs: SipMessage[];
      try {
        msgs = framer.push(chunk);
      } catch {
        return;
      }
      for (const m of msgs) {
        this.origin.set(m, sock);
        if (m.method === 'OPTIONS') this.reply(m, responseTo(m, 200, 'OK'));
        this.inbox.push(m);
      }
    });
    sock.on('error', () => undefined);
  }
}
