import { createSocket } from 'node:dgram';
import { createServer, type Socket as TcpSocket } from 'node:net';
import { header, parseMessage, randomToken, responseTo, serialize, StreamFramer, uriOf, type SipMessage } from './message';
import { SipPeer, type Dialog, type Received } from './peer';

type Transport = 'udp' | 'tcp';

/** how the PBX's messages travel: its requests go to the gateway, replies back where the request came from */
interface Link {
  send(text: string): void;
  close(): void;
}

/**
 * Plays a PBX over UDP or TCP: receives the gateway's INVITEs for an extension and answers
 * them as the test says (ring, answer with SDP, busy, ...), or places calls to the gateway.
 * Over TCP it listens on its port and sends over the connection the gateway opened.
 */
export class PbxPeer extends SipPeer {
  private link!: Link;
  /** answer the gateway's NOTIFYs (a transfer's progress) 200 as they arrive, as a transferor does */
  answerNotifies = true;

  private constructor(readonly host: string, readonly port: number, private readonly gateway: { host: string; port: number }, readonly transport: Transport) {
    super();
  }

  static async start(host: string, port: number, gateway: { host: string; port: number }, transport: Transport = 'udp'): Promise<PbxPeer> {
    const peer = new PbxPeer(host, port, gateway, transport);
    peer.link = transport === 'udp' ? await peer.udpLink() : await peer.tcpLink();
    return peer;
  }

  private receive(text: string, reply: (m: SipMessage) => void): void {
    let msg: SipMessage;
    try {
      msg = parseMessage(text);
    } catch {
      return;
    }
    this.deliver(msg, reply);
  }

  private async udpLink(): Promise<Link> {
    const sock = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(this.port, this.host, () => resolve());
    });
    sock.on('message', (buf, rinfo) => this.receive(buf.toString('utf8'), (m) => sock.send(serialize(m), rinfo.port, rinfo.address)));
    return { send: (text) => sock.send(text, this.gateway.port, this.gateway.host), close: () => sock.close() };
  }

  private async tcpLink(): Promise<Link> {
    const conns: TcpSocket[] = [];
    const server = createServer((conn) => {
      conns.push(conn);
      const framer = new StreamFramer();
      conn.on('data', (chunk: Buffer) => {
        for (const msg of framer.push(chunk)) this.deliver(msg, (m) => conn.write(serialize(m)));
      });
      conn.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    return {
      send: (text) => {
        const conn = conns[conns.length - 1];
        if (!conn) throw new Error('PbxPeer (tcp): the gateway has not connected');
        conn.write(text);
      },
      close: () => {
        for (const c of conns) c.destroy();
        server.close();
      },
    };
  }

  protected override deliver(msg: SipMessage, reply: (m: SipMessage) => void): void {
    if (this.answerNotifies && msg.method === 'NOTIFY') reply(responseTo(msg, 200, 'OK'));
    super.deliver(msg, reply);
  }

  protected override resends2xx(): boolean {
    return this.transport === 'udp';
  }

  protected viaTransport(): string {
    return this.transport.toUpperCase();
  }

  protected viaHostPort(): string {
    return `${this.host}:${this.port}`;
  }

  send(msg: SipMessage): void {
    this.link.send(serialize(msg));
  }

  contact(): string {
    return `<sip:pbx@${this.host}:${this.port}${this.transport === 'tcp' ? ';transport=tcp' : ''}>`;
  }

  ringAt(inv: Received, toTag: string): void {
    this.ring(inv, toTag, this.contact());
  }

  /** answer with SDP; returns the UAS dialog */
  answer(inv: Received, sdp: string, toTag = randomToken('p')): Dialog {
    return this.answerWith(inv, sdp, this.contact(), { toTag });
  }

  /** a REFER in dialog `d` (RFC 3515): transfer the call to `referTo`; resolves with the gateway's final response */
  refer(d: Dialog, referTo: string, extra: [string, string][] = []): Promise<SipMessage> {
    return this.request(this.inDialog(d, 'REFER', [['Refer-To', referTo], ['Referred-By', `<${d.localUri}>`], ['Contact', this.contact()], ...extra]));
  }

  /** the next new INVITE for extension `user` (a transfer's target, say) */
  nextInviteTo(user: string, timeoutMs = 10_000): Promise<Received> {
    return this.wait((r) => r.msg.method === 'INVITE' && !/tag=/.test(header(r.msg, 'To') ?? '') && /^sips?:([^@;]+)@/.exec(uriOf(r.msg.uri ?? ''))?.[1] === user,
      timeoutMs, `a new INVITE to ${user}`);
  }

  /** an agent's call: INVITE sip:<dialed>@<gateway> with an SDP offer */
  buildInvite(dialed: string, sdp: string, extra: [string, string][] = []): SipMessage {
    return {
      method: 'INVITE',
      uri: `sip:${dialed}@${this.gateway.host}:${this.gateway.port}`,
      headers: [
        ['Via', this.via()],
        ['Max-Forwards', '70'],
        ['From', `"Agent 1001" <sip:1001@${this.host}>;tag=${randomToken('a')}`],
        ['To', `<sip:${dialed}@${this.gateway.host}>`],
        ['Call-ID', `${randomToken('pbx')}@${this.host}`],
        ['CSeq', '101 INVITE'],
        ['Contact', this.contact()],
        ['User-Agent', 'TestPBX'],
        ...extra,
        ['Content-Type', 'application/sdp'],
      ],
      body: sdp,
    };
  }

  close(): void {
    this.stopResending();
    this.link.close();
  }
}
