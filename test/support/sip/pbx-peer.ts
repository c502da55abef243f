import { createSocket, type Socket } from 'node:dgram';
import { header, parseMessage, randomToken, responseTo, serialize, type SipMessage } from './message';
import { SipPeer, type Dialog, type Received } from './peer';

/**
 * Plays a PBX over UDP: receives the gateway's INVITEs for an extension and answers them
 * as the test says (ring, answer with SDP, busy, ...), or places calls to the gateway.
 */
export class PbxPeer extends SipPeer {
  private constructor(private readonly sock: Socket, readonly host: string, readonly port: number, private readonly gateway: { host: string; port: number }) {
    super();
    sock.on('message', (buf, rinfo) => {
      let msg: SipMessage;
      try {
        msg = parseMessage(buf.toString('utf8'));
      } catch {
        return;
      }
      this.deliver(msg, (m) => this.sock.send(serialize(m), rinfo.port, rinfo.address));
    });
  }

  static async start(host: string, port: number, gateway: { host: string; port: number }): Promise<PbxPeer> {
    const sock = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => resolve());
    });
    return new PbxPeer(sock, host, port, gateway);
  }

  protected viaTransport(): string {
    return 'UDP';
  }

  protected viaHostPort(): string {
    return `${this.host}:${this.port}`;
  }

  send(msg: SipMessage): void {
    this.sock.send(serialize(msg), this.gateway.port, this.gateway.host);
  }

  /** next INVITE the gateway sends us (a new call) */
  nextInvite(timeoutMs = 10_000): Promise<Received> {
    return this.wait((r) => r.msg.method === 'INVITE' && !/tag=/.test(header(r.msg, 'To') ?? ''), timeoutMs, 'INVITE at the PBX');
  }

  ring(inv: Received, toTag: string): void {
    inv.reply(responseTo(inv.msg, 180, 'Ringing', { toTag, headers: [['Contact', `<sip:pbx@${this.host}:${this.port}>`]] }));
  }

  /** answer with SDP; returns the UAS dialog */
  answer(inv: Received, sdp: string, toTag = randomToken('p')): Dialog {
    inv.reply(
      responseTo(inv.msg, 200, 'OK', {
        toTag,
        headers: [['Contact', `<sip:pbx@${this.host}:${this.port}>`], ['Content-Type', 'application/sdp']],
        body: sdp,
      }),
    );
    return SipPeer.uasDialog(inv.msg, toTag);
  }

  reject(inv: Received, status: number, reason: string): void {
    inv.reply(responseTo(inv.msg, status, reason, { toTag: randomToken('p') }));
  }

  close(): void {
    this.sock.close();
  }
}
