/**
 * The PBX test peer over UDP resends its 200 OK to an INVITE until the ACK comes (RFC 3261
 * 13.3.1.4), as a real PBX does: a gateway that lost the first one (a loaded drachtio-server's
 * receive buffer overflowing) still gets the answer. A stand-in gateway socket on loopback.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMessage, serialize, type SipMessage } from '../support/sip/message';
import { PbxPeer } from '../support/sip/pbx-peer';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

function request(method: string, port: number): SipMessage {
  return {
    method, uri: 'sip:1001@127.0.0.1', headers: [
      ['Via', `SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${method}`], ['From', '<sip:gw@127.0.0.1>;tag=g1'], ['To', '<sip:1001@127.0.0.1>'],
      ['Call-ID', 'retransmit-test'], ['CSeq', `1 ${method}`], ['Contact', `<sip:gw@127.0.0.1:${port}>`], ['Content-Length', '0'],
    ], body: '',
  };
}

/** a gateway stand-in: its socket, and the responses it got, in order */
async function gateway(): Promise<{ sock: Socket; port: number; got: SipMessage[]; next(n: number): Promise<void> }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  open.push(sock);
  const got: SipMessage[] = [];
  const waiters: (() => void)[] = [];
  sock.on('message', (b) => { got.push(parseMessage(b.toString())); waiters.splice(0).forEach((w) => w()); });
  const next = async (n: number) => { while (got.length < n) await new Promise<void>((r) => waiters.push(r)); };
  return { sock, port: sock.address().port, got, next };
}

/** a UDP port on loopback nobody holds (bound and let go) */
async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('PBX test peer over UDP: its 200 OK', () => {
  it('is sent again until the ACK comes, then no more', async () => {
    const gw = await gateway();
    const pbx = await PbxPeer.start('127.0.0.1', await freeUdpPort(), { host: '127.0.0.1', port: gw.port });
    open.push(pbx);
    pbx.onMessage = (r) => { if (r.msg.method === 'INVITE') pbx.answer(r, 'v=0\r\n'); };
    const send = (m: SipMessage) => gw.sock.send(serialize(m), pbx.port, '127.0.0.1');
    send(request('INVITE', gw.port));
    await gw.next(3); // 100 Trying, 200 OK, and the 200 OK again (T1 = 500 ms later)
    expect(gw.got.map((m) => m.status)).toEqual([100, 200, 200]);
    send(request('ACK', gw.port));
    const after = gw.got.length;
    await new Promise((r) => setTimeout(r, 1500)); // the next resend would have come 1 s after the last
    expect(gw.got.length).toBe(after);
  });
});
