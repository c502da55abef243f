import { createSocket } from 'node:dgram';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { cseqOf, header, parseMessage, serialize, StreamFramer, type SipMessage } from './message';

/**
 * Raw bytes to the gateway's SIP ports, as an attacker sends them: each message from its own
 * socket bound to a chosen loopback address (its own connection over TCP and TLS, so one
 * message's broken framing cannot spoil the next), and whatever comes back.
 */
export type Transport = 'udp' | 'tcp' | 'tls';

export interface GatewaySip {
  host: string;
  /** UDP and TCP */
  port: number;
  tlsPort: number;
  servername: string;
  ca: string;
}

export interface Exchange {
  responses: SipMessage[];
  /** the first final response; null when none came within the wait (a drop) */
  final: SipMessage | null;
  /** the gateway closed the connection (TCP, TLS) */
  closed: boolean;
}

interface Link {
  write(b: Buffer): void;
  close(): void;
}

/** a socket from `from` to the gateway; `onData` gets every message received, `onClose` a closed connection */
export async function openLink(t: Transport, from: string, gw: GatewaySip, onMessage: (m: SipMessage) => void, onClose: () => void): Promise<Link> {
  if (t === 'udp') {
    const sock = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(0, from, () => resolve());
    });
    // a scanner's socket takes bursts of answers (100 Trying and a final for each INVITE)
    sock.setRecvBufferSize(4 * 1024 * 1024);
    sock.on('message', (buf) => {
      try { onMessage(parseMessage(buf.toString('latin1'))); } catch { /* not SIP: ignored */ }
    });
    sock.on('error', () => undefined);
    return { write: (b) => sock.send(b, gw.port, gw.host), close: () => sock.close() };
  }
  const tcp = tcpConnect({ host: gw.host, port: t === 'tls' ? gw.tlsPort : gw.port, localAddress: from });
  tcp.setNoDelay(true);
  const sock: Socket = t === 'tls' ? tlsConnect({ socket: tcp, servername: gw.servername, ca: gw.ca, rejectUnauthorized: true }) : tcp;
  await new Promise<void>((resolve, reject) => {
    sock.once(t === 'tls' ? 'secureConnect' : 'connect', () => resolve());
    sock.once('error', reject);
  });
  const framer = new StreamFramer();
  sock.on('data', (chunk: Buffer) => {
    try {
      for (const m of framer.push(chunk)) onMessage(m);
    } catch { /* not SIP: ignored */ }
  });
  sock.on('error', () => undefined);
  sock.on('close', onClose);
  return { write: (b) => sock.write(b), close: () => sock.destroy() };
}

/** send `bytes` once and wait for a final response, the connection closing, or `waitMs` */
export async function exchange(t: Transport, from: string, bytes: Buffer, gw: GatewaySip, waitMs: number): Promise<Exchange> {
  const out: Exchange = { responses: [], final: null, closed: false };
  let done = () => undefined as void;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  const link = await openLink(t, from, gw, (m) => {
    if (m.status === undefined) return;
    out.responses.push(m);
    if (m.status >= 200 && !out.final) {
      out.final = m;
      ackIfInvite(link, bytes, m);
      done();
    }
  }, () => {
    out.closed = true;
    done();
  });
  const timer = setTimeout(done, waitMs);
  link.write(bytes);
  await finished;
  clearTimeout(timer);
  link.close();
  return out;
}

/** the ACK a non-2xx final response to an INVITE asks for (RFC 3261 §17.1.1.3), when the INVITE parses */
function ackIfInvite(link: Link, requestBytes: Buffer, final: SipMessage): void {
  if (cseqOf(final).method !== 'INVITE' || final.status! < 300 || !header(final, 'To')) return;
  let req: SipMessage;
  try {
    req = parseMessage(requestBytes.toString('latin1'));
  } catch {
    return;
  }
  if (!header(req, 'Via') || !header(req, 'From') || !header(req, 'Call-ID') || !req.uri) return;
  link.write(Buffer.from(serialize(ackFor(req, final)), 'latin1'));
}

export interface SweepResult {
  sent: number;
  /** final responses by status */
  finals: Record<number, number>;
  /** requests that got no final response within the wait */
  unanswered: number;
  /** every SIP message that came back, provisional ones included */
  received: number;
  /** UDP requests sent again because nothing had answered them */
  retransmitted: number;
}

/**
 * A scanner's run: `count` requests over one socket (one connection), at most `window` of
 * them waiting for an answer at a time; each gets `waitMs` for its final response. Over UDP
 * a request nothing has answered yet, not even with a 100, is sent again after 500 ms,
 * 1 s, 2 s, ... (RFC 3261 Timer A/E), as any SIP client does: a datagram lost on the way
 * is not a request the gateway failed to answer. INVITEs refused are ACKed, as SIPVicious does.
 */
export async function sweep(t: Transport, from: string, gw: GatewaySip, build: (i: number) => SipMessage, count: number, o: { window: number; waitMs: number }): Promise<SweepResult> {
  const result: SweepResult = { sent: 0, finals: {}, unanswered: 0, received: 0, retransmitted: 0 };
  const pending = new Map<string, { req: SipMessage; bytes: Buffer; heard: boolean; timers: NodeJS.Timeout[] }>();
  let next = 0;
  let finish = () => undefined as void;
  const finished = new Promise<void>((resolve) => { finish = resolve; });
  const settle = (callId: string) => {
    const p = pending.get(callId);
    if (!p) return null;
    for (const timer of p.timers) clearTimeout(timer);
    pending.delete(callId);
    return p.req;
  };
  let link: Link;
  const retransmit = (callId: string, after: number) => {
    const p = pending.get(callId);
    if (!p || after >= o.waitMs) return;
    p.timers.push(setTimeout(() => {
      if (p.heard || !pending.has(callId)) return;
      link.write(p.bytes);
      result.retransmitted += 1;
      retransmit(callId, after * 2);
    }, after));
  };
  const pump = () => {
    while (next < count && pending.size < o.window) {
      const req = build(next++);
      const callId = header(req, 'Call-ID')!;
      const bytes = Buffer.from(serialize(req), 'latin1');
      pending.set(callId, {
        req,
        bytes,
        heard: false,
        timers: [setTimeout(() => {
          if (settle(callId)) result.unanswered += 1;
          pump();
        }, o.waitMs)],
      });
      link.write(bytes);
      result.sent += 1;
      if (t === 'udp') retransmit(callId, 500);
    }
    if (next >= count && pending.size === 0) finish();
  };
  link = await openLink(t, from, gw, (m) => {
    result.received += 1;
    if (m.status === undefined) return;
    const callId = header(m, 'Call-ID') ?? '';
    const p = pending.get(callId);
    if (p) p.heard = true;
    if (m.status < 200) return;
    const req = settle(callId);
    if (!req) return;
    result.finals[m.status] = (result.finals[m.status] ?? 0) + 1;
    if (req.method === 'INVITE') link.write(Buffer.from(serialize(ackFor(req, m)), 'latin1'));
    pump();
  }, () => {
    for (const id of [...pending.keys()]) if (settle(id)) result.unanswered += 1;
    next = count;
    finish();
  });
  pump();
  await finished;
  link.close();
  return result;
}

/** the ACK of a non-2xx final response: the INVITE's Via (branch), From, Call-ID and CSeq number, the response's To */
export function ackFor(invite: SipMessage, final: SipMessage): SipMessage {
  return {
    method: 'ACK',
    uri: invite.uri,
    headers: [
      ['Via', header(invite, 'Via')!],
      ['Max-Forwards', '70'],
      ['From', header(invite, 'From')!],
      ['To', header(final, 'To')!],
      ['Call-ID', header(invite, 'Call-ID')!],
      ['CSeq', `${cseqOf(invite).seq} ACK`],
    ],
    body: '',
  };
}
