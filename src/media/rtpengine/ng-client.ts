import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { decode, encode, type BValue } from './bencode';

export type NgDict = Record<string, BValue>;

/** what the rest of the gateway needs of rtpengine (a fake in unit tests) */
export interface NgControl {
  /** one ng command; resolves with rtpengine's reply (`result: ok`), rejects on error or timeout */
  request(command: string, args?: NgDict): Promise<NgDict>;
  close(): void;
}

export class NgError extends Error {
  override name = 'NgError';
}

/**
 * rtpengine's ng control protocol over UDP: `<cookie> <bencoded dict>` out, the same cookie
 * on the reply. One socket, one pending request per cookie, each with a timeout; a reply
 * with `result: error` rejects with rtpengine's `error-reason`.
 *
 * Our own rather than npm's `rtpengine-client`: the protocol is this one file, and that
 * package has no types and keeps a request map that never times out a reply that never comes.
 */
export class NgClient implements NgControl {
  private readonly socket: Socket;
  private readonly pending = new Map<string, { resolve(d: NgDict): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  private closed = false;

  constructor(private readonly host: string, private readonly port: number, private readonly timeoutMs: number) {
    this.socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    this.socket.on('message', (msg) => this.onMessage(msg));
    this.socket.on('error', () => undefined); // ICMP unreachable etc.: the request times out
    this.socket.unref();
  }

  request(command: string, args: NgDict = {}): Promise<NgDict> {
    if (this.closed) return Promise.reject(new NgError('ng client closed'));
    const cookie = randomBytes(8).toString('hex');
    const msg = Buffer.concat([Buffer.from(`${cookie} `), encode({ ...args, command })]);
    return new Promise<NgDict>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(cookie);
        reject(new NgError(`rtpengine ${command}: no reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(cookie, { resolve, reject, timer });
      this.socket.send(msg, this.port, this.host, (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(cookie);
        reject(new NgError(`rtpengine ${command}: ${err.message}`));
      });
    }).then((reply) => {
      if (reply.result === 'error') throw new NgError(`rtpengine ${command}: ${String(reply['error-reason'] ?? 'error')}`);
      return reply;
    });
  }

  private onMessage(msg: Buffer): void {
    const space = msg.indexOf(0x20);
    if (space <= 0) return;
    const cookie = msg.toString('latin1', 0, space);
    const p = this.pending.get(cookie);
    if (!p) return; // late, or not ours
    this.pending.delete(cookie);
    clearTimeout(p.timer);
    try {
      const v = decode(msg.subarray(space + 1));
      if (typeof v !== 'object' || Array.isArray(v)) throw new Error('reply is not a dictionary');
      p.resolve(v);
    } catch (err) {
      p.reject(new NgError(`rtpengine reply: ${(err as Error).message}`));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new NgError('ng client closed'));
    }
    this.pending.clear();
    this.socket.close();
  }
}
