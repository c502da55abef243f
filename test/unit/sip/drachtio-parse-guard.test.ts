import { afterEach, describe, expect, it, vi } from 'vitest';
import { guardUnparseable } from '../../../src/sip/drachtio-parse-guard';

// drachtio-srf's own agent, fed as drachtio-server feeds it: "<id>|sip|network|<len>|<transport>|<address>|<port>|..." CRLF <message>
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Agent = require('drachtio-srf/lib/drachtio-agent') as new (app: unknown) => { _onMsg(socket: unknown, msg: string): void };

const wire = (sip: string) => `1234|sip|network|${sip.length}|udp|203.0.113.9|5060|12:00:00.000|txn-1|\r\n${sip}`;
// RFC 4475 §3.1.2.9 (lwsstart): two spaces between the Request-Line's parts
const LWSSTART = 'INVITE  sip:user@example.com  SIP/2.0\r\nMax-Forwards: 8\r\nTo: sip:user@example.com\r\nFrom: sip:caller@example.net;tag=8814\r\nCall-ID: lwsstart.dfknq234oi243099adsdfnawe3@example.com\r\nCSeq: 1893884 INVITE\r\nVia: SIP/2.0/UDP host1.example.com;branch=z9hG4bKkdjuw3923\r\nContent-Length: 0\r\n\r\n';
const GOOD = 'OPTIONS sip:gw.test SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.9;branch=z9hG4bK1\r\nTo: <sip:gw.test>\r\nFrom: <sip:x@example.com>;tag=1\r\nCall-ID: ok-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';

describe('drachtio-srf parse guard', () => {
  afterEach(() => { vi.restoreAllMocks(); });

  it('routes what drachtio-srf cannot parse to the hook, quietly; nothing else', () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const app = {};
    const seen: [string, string][] = [];
    guardUnparseable({ app }, (address, transport) => seen.push([address, transport]));
    const agent = new Agent(app);
    agent._onMsg({}, wire(LWSSTART));
    expect(seen).toEqual([['203.0.113.9', 'udp']]);
    expect(errors).not.toHaveBeenCalled();
    // a message that parses goes on to drachtio-srf (here: no such socket, so it is discarded there)
    agent._onMsg({}, wire(GOOD));
    expect(seen).toHaveLength(1);
  });

  it("leaves other Srf instances with drachtio-srf's own behaviour", () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    guardUnparseable({ app: {} }, () => { throw new Error('not this one'); });
    const other = new Agent({});
    // drachtio-srf looks the socket up before it parses: give it one
    (other as unknown as { mapServer: Map<unknown, unknown> }).mapServer.set('sock', { pendingNetworkInvites: new Map() });
    other._onMsg('sock', wire(LWSSTART));
    expect(errors).toHaveBeenCalledTimes(1);
  });
});
