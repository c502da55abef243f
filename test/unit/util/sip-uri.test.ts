import { describe, expect, it } from 'vitest';
import { bareHost, localSipTarget, parseHostports, uriHost, uriHostPort } from '../../../src/util/sip-uri';

describe('hosts in the SIP URIs we build', () => {
  it('brackets an IPv6 address and nothing else', () => {
    expect(uriHost('::1')).toBe('[::1]');
    expect(uriHost('2a03:2880:f003:c07:face:b00c::2')).toBe('[2a03:2880:f003:c07:face:b00c::2]');
    expect(uriHost('[::1]')).toBe('[::1]');
    expect(uriHost('127.0.0.1')).toBe('127.0.0.1');
    expect(uriHost('pbx.example.com')).toBe('pbx.example.com');
    expect(uriHostPort('::1', 5060)).toBe('[::1]:5060');
    expect(uriHostPort('10.0.0.5', '5062')).toBe('10.0.0.5:5062');
  });

  it('takes the brackets off for node:net', () => {
    expect(bareHost('[::1]')).toBe('::1');
    expect(bareHost('::1')).toBe('::1');
    expect(bareHost('127.0.0.1')).toBe('127.0.0.1');
    expect(bareHost('[not-an-address]')).toBe('[not-an-address]');
  });
});

describe("drachtio-server's hostports", () => {
  it('parses IPv4 and bracketed IPv6 entries and drops what does not parse', () => {
    expect(parseHostports('tcp/127.0.0.1:5060,udp/[::1]:15060,tls/[2001:db8::5]:5061,garbage,udp/[zz]:1,udp/::1:5060')).toEqual([
      { transport: 'tcp', host: '127.0.0.1', port: 5060 },
      { transport: 'udp', host: '[::1]', port: 15060 },
      { transport: 'tls', host: '[2001:db8::5]', port: 5061 },
    ]);
  });

  it("FreeSWITCH's target: the preferred family first, the other if there is no such listener, loopback for an unspecified address", () => {
    const both = parseHostports('udp/[::1]:15060,tcp/127.0.0.1:15060,udp/127.0.0.1:15060');
    expect(localSipTarget(both, 'udp', 4)).toBe('127.0.0.1:15060');
    expect(localSipTarget(both, 'udp', 6)).toBe('[::1]:15060');
    expect(localSipTarget(parseHostports('udp/[::1]:5060'), 'udp', 4)).toBe('[::1]:5060');
    expect(localSipTarget(parseHostports('udp/0.0.0.0:5060'), 'udp')).toBe('127.0.0.1:5060');
    expect(localSipTarget(parseHostports('udp/[::]:5060'), 'udp')).toBe('[::1]:5060');
    expect(localSipTarget(parseHostports('tls/127.0.0.1:5061'), 'udp')).toBeNull();
  });
});
