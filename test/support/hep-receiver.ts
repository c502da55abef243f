import { createSocket, type Socket } from 'node:dgram';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const hep = require('hep-js') as { decapsulate(msg: Buffer): false | { rcinfo: HepInfo; payload?: string } };

/** the HEP v3 chunks a capture agent sends with each SIP message (hep-js names) */
export interface HepInfo {
  captureId?: number;
  srcIp?: string;
  dstIp?: string;
  srcPort?: number;
  dstPort?: number;
  payloadType?: number;
  correlation_id?: string;
}

export interface HepPacket {
  info: HepInfo;
  /** the SIP message as captured */
  sip: string;
}

/**
 * A Homer stand-in: HEP v3 over UDP on a loopback port, decoded with the npm hep-js
 * decoder. Keeps every packet; `waitFor` resolves on the first (earlier or later) that matches.
 */
export class HepReceiver {
  readonly packets: HepPacket[] = [];
  private waiters: { pred: (p: HepPacket) => boolean; resolve: (p: HepPacket) => void }[] = [];

  private constructor(private readonly sock: Socket) {
    sock.on('message', (msg) => {
      const d = hep.decapsulate(msg);
      if (!d || typeof d.payload !== 'string') return;
      const p = { info: d.rcinfo, sip: d.payload };
      this.packets.push(p);
      this.waiters = this.waiters.filter((w) => (w.pred(p) ? (w.resolve(p), false) : true));
    });
  }

  static start(port: number, host = '127.0.0.1'): Promise<HepReceiver> {
    const sock = createSocket('udp4');
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => resolve(new HepReceiver(sock)));
    });
  }

  waitFor(pred: (p: HepPacket) => boolean, timeoutMs: number, what: string): Promise<HepPacket> {
    const seen = this.packets.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no HEP packet with ${what} within ${timeoutMs} ms (${this.packets.length} received)`)), timeoutMs);
      this.waiters.push({ pred, resolve: (p) => { clearTimeout(timer); resolve(p); } });
    });
  }

  close(): Promise<void> {
    return new Promise((r) => this.sock.close(() => r()));
  }
}

/** the value of a SIP header in a captured message (first occurrence, compact forms not handled) */
export function sipHeader(sip: string, name: string): string | undefined {
  const re = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'im');
  return re.exec(sip)?.[1]?.trim();
}
