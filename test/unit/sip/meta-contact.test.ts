import { describe, expect, it } from 'vitest';
import { answeringMeta, callingMeta, MetaContact } from '../../../src/sip/meta-contact';
import type { SipSignaling, SrfRequest, SrfResponse, UacOptions } from '../../../src/sip/srf-types';

function contactFor(hostports: string): MetaContact {
  const c = new MetaContact();
  c.setHostports(hostports);
  return c;
}

describe('our Contact toward Meta', () => {
  const c = contactFor('tcp/203.0.113.7:5060,udp/203.0.113.7:5060,tls/203.0.113.7:5061,tls/[2001:db8::7]:5061');

  it('is sip: with transport=tls at drachtio-server\'s TLS listener, never sips:', () => {
    expect(c.forRequest()).toBe('<sip:203.0.113.7:5061;transport=tls>');
  });

  it('answers on the listener the request came in on: the IPv6 one for Meta over IPv6', () => {
    expect(c.forAnswer('[2001:db8::7]:5061')).toBe('<sip:[2001:db8::7]:5061;transport=tls>');
    expect(c.forAnswer('10.0.0.7:5061')).toBe('<sip:203.0.113.7:5061;transport=tls>'); // drachtio's --external-ip
    expect(c.forAnswer(undefined)).toBe('<sip:203.0.113.7:5061;transport=tls>');
  });

  it('gives nothing (drachtio-server then sets its own) when it knows no TLS address', () => {
    expect(new MetaContact().forRequest()).toBeNull();
    expect(contactFor('tls/0.0.0.0:5061').forRequest()).toBeNull();
  });
});

describe('signalling toward Meta', () => {
  const calls: { what: string; headers: Record<string, string> | undefined }[] = [];
  const sip = {
    createUAC: (uri: string, opts: UacOptions) => (calls.push({ what: `UAC ${uri}`, headers: opts.headers }), Promise.resolve({})),
    createUAS: (_req: SrfRequest, _res: SrfResponse, opts: { headers?: Record<string, string> }) => (calls.push({ what: 'UAS', headers: opts.headers }), Promise.resolve({})),
    other: () => 'passed through',
  } as unknown as SipSignaling;
  const contact = contactFor('tls/127.0.0.1:15061');
  const metaInvite = { receivedOn: '127.0.0.1:15061' } as unknown as SrfRequest;
  const otherInvite = { receivedOn: '127.0.0.1:15060' } as unknown as SrfRequest;

  it('our 200 OK to Meta\'s INVITE carries the Contact; any other answer is left alone', async () => {
    calls.length = 0;
    const s = answeringMeta(sip, contact, metaInvite);
    await s.createUAS(metaInvite, {} as SrfResponse, { localSdp: 'v=0' });
    await s.createUAS(otherInvite, {} as SrfResponse, { localSdp: 'v=0' });
    await s.createUAC('sip:1001@127.0.0.20', { headers: { From: 'x' } });
    expect(calls).toEqual([
      { what: 'UAS', headers: { Contact: '<sip:127.0.0.1:15061;transport=tls>' } },
      { what: 'UAS', headers: undefined },
      { what: 'UAC sip:1001@127.0.0.20', headers: { From: 'x' } },
    ]);
    expect((s as unknown as { other(): string }).other()).toBe('passed through');
  });

  it('our INVITE to Meta carries it, unless a Contact is already set', async () => {
    calls.length = 0;
    const s = callingMeta(sip, contact);
    await s.createUAC('sip:+1@wa.meta.vc;transport=tls', { headers: { From: 'f' } });
    await s.createUAC('sip:+1@wa.meta.vc;transport=tls', { headers: { contact: '<sip:mine>' } });
    expect(calls.map((x) => x.headers)).toEqual([
      { From: 'f', Contact: '<sip:127.0.0.1:15061;transport=tls>' },
      { contact: '<sip:mine>' },
    ]);
  });
});
