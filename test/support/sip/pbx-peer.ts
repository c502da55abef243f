import { createSocket, type Socket } from 'node:dgram';
import { parseMessage, randomToken, serialize, type SipMessage } from './message';
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

  contact(): string {
    return `<sip:pbx@${this.host}:${this.port}>`;
  }

  ringAt(inv: Received, toTag: string): void {
    this.ring(inv, toTag, this.contact());
  }

  /** answer with SDP; returns the UAS dialog */
  answer(inv: Received, sdp: string, toTag = randomToken('p')): Dialog {
    return this.answerWith(inv, sdp, this.contact(), { toTag });
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
    this.sock.close();
  }
}
