/**
 * The PBX test peer over UDP resends its 200 OK to an INVITE until the ACK comes (RFC 3261
 * 13.3.1.4), as a real PBX does: a gateway that lost the first one (a loaded drachtio-server's
 * receive buffer overflowing) still gets the answer. A stand-in gateway socket on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/pbx-servers';
import { serialize, type SipMessage } from '../support/sip/message';
import { PbxPeer } from '../support/sip/pbx-peer';
import { openLink } from '../support/sip/raw-exchange';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

/** a request from the gateway stand-in (the PBX peer answers to the datagram's source, not to Via or Contact) */
function request(method: string): SipMessage {
  return {
    method, uri: 'sip:1001@127.0.0.1', headers: [
      ['Via', `SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK${method}`], ['From', '<sip:gw@127.0.0.1>;tag=g1'], ['To', '<sip:1001@127.0.0.1>'],
      ['Call-ID', 'retransmit-test'], ['CSeq', `1 ${method}`], ['Contact', '<sip:gw@127.0.0.1:5060>'], ['Content-Length', '0'],
    ], body: '',
  };
}

describe('PBX test peer over UDP: its 200 OK', () => {
  it('is sent again until the ACK comes, then no more', async () => {
    const port = await freePort('127.0.0.1');
    // the PBX peer sends no request of its own here: the gateway address it is given is never used
    const pbx = await PbxPeer.start('127.0.0.1', port, { host: '127.0.0.1', port: 5060 });
    open.push(pbx);
    pbx.onMessage = (r) => { if (r.msg.method === 'INVITE') pbx.answer(r, 'v=0\r\n'); };
    const got: SipMessage[] = [];
    const waiters: (() => void)[] = [];
    const gw = await openLink('udp', '127.0.0.1', { host: '127.0.0.1', port, tlsPort: 0, servername: '', ca: '' },
      (m) => { got.push(m); waiters.splice(0).forEach((w) => w()); }, () => undefined);
    open.push(gw);
    const send = (m: SipMessage) => gw.write(Buffer.from(serialize(m)));
    const received = async (n: number) => { while (got.length < n) await new Promise<void>((r) => waiters.push(r)); };
    send(request('INVITE'));
    await received(3); // 100 Trying, 200 OK, and the 200 OK again (T1 = 500 ms later)
    expect(got.map((m) => m.status)).toEqual([100, 200, 200]);
    send(request('ACK'));
    const after = got.length;
    await new Promise((r) => setTimeout(r, 1500)); // the next resend would have come 1 s after the last
    expect(got.length).toBe(after);
  });
});
