import { describe, expect, it } from 'vitest';
import { DigestServer } from '../../../src/auth/digest-server';
import type { BusinessNumber, PbxTarget } from '../../../src/config/types';
import type { Rejection } from '../../../src/sip/errors';
import type { InviteView } from '../../../src/sip/invite-view';
import { PbxAdmission, type OutboundCall } from '../../../src/sip/pbx-admission';
import { pbxTarget } from '../../support/config-fixtures';
import { pbxSdp } from '../../support/sdp';

const numbers: BusinessNumber[] = ['+12145551869', '+12145550000', '+442071230000', '+33123456789'].map((number) => ({ number, sip_password: 'pw', routes: [] }));
const digest = new DigestServer({ realm: 'gw.example.com', ttlSeconds: 30 });

function admission(over: Partial<PbxTarget>): { a: PbxAdmission; pbx: PbxTarget } {
  const pbx = pbxTarget({ business_number: '+12145551869', ...over });
  return { a: new PbxAdmission([pbx], numbers, digest), pbx };
}

function invite(o: { protocol?: string; hdrs?: Record<string, string> } = {}): InviteView {
  const headers: Record<string, string> = { ...o.hdrs };
  return {
    uri: 'sip:+12195550714@gw.example.com', method: 'INVITE', protocol: o.protocol ?? 'udp', source_address: '10.0.0.5',
    callId: 'pbx-call-1', body: pbxSdp({ ip: '10.0.0.5', port: 4000 }), headers, get: (n: string) => headers[n.toLowerCase()],
  };
}

const outcome = (r: OutboundCall | Rejection) => ('code' in r ? r.code : r.business.number);

describe('admission of calls from a PBX: trust (SPEC R5)', () => {
  it('a UDP INVITE from a PBX with neither inbound_auth nor trust_udp_source: 403 UDP_SOURCE_UNTRUSTED', () => {
    const { a, pbx } = admission({});
    expect(outcome(a.admit(invite(), pbx))).toBe('UDP_SOURCE_UNTRUSTED');
  });

  it('the same PBX over TCP or TLS, or over UDP with trust_udp_source: admitted on its source', () => {
    const { a, pbx } = admission({});
    expect(outcome(a.admit(invite({ protocol: 'tcp' }), pbx))).toBe('+12145551869');
    expect(outcome(a.admit(invite({ protocol: 'tls' }), pbx))).toBe('+12145551869');
    const trusted = admission({ trust_udp_source: true });
    expect(outcome(trusted.a.admit(invite(), trusted.pbx))).toBe('+12145551869');
  });

  it('a PBX with inbound_auth is challenged over UDP and over TCP', () => {
    const { a, pbx } = admission({ inbound_auth: { username: 'pbx-trunk', password: 'pw' } });
    const udp = a.admit(invite(), pbx) as Rejection;
    expect(udp.code).toBe('AUTH_CHALLENGE_PROXY');
    expect(udp.headers?.['Proxy-Authenticate']).toMatch(/^Digest realm="gw\.example\.com"/);
    expect(outcome(a.admit(invite({ protocol: 'tcp' }), pbx))).toBe('AUTH_CHALLENGE_PROXY');
  });
});

describe('admission of calls from a PBX: which business number', () => {
  const over = {
    trust_udp_source: true,
    business_numbers_by_prefix: [{ prefix: '+44', number: '+442071230000' }],
    business_numbers: ['+12145550000'],
  };

  it('the header may choose the PBX default, a by-prefix number or one listed in business_numbers', () => {
    const { a, pbx } = admission(over);
    for (const n of ['+12145551869', '12145550000', '+442071230000']) {
      expect(outcome(a.admit(invite({ hdrs: { 'x-wa-business-number': n } }), pbx))).toBe(n.startsWith('+') ? n : `+${n}`);
    }
  });

  it("the header choosing a configured number that is not this PBX's: 403 BUSINESS_NUMBER_NOT_ALLOWED", () => {
    const { a, pbx } = admission(over);
    const r = a.admit(invite({ hdrs: { 'x-wa-business-number': '+33123456789' } }), pbx) as Rejection;
    expect(r.code).toBe('BUSINESS_NUMBER_NOT_ALLOWED');
    expect(r.detail).toContain('"+33123456789"');
    expect(outcome(a.admit(invite({ hdrs: { 'x-wa-business-number': '+19999999999' } }), pbx))).toBe('BUSINESS_NUMBER_NOT_ALLOWED');
  });

  it('without the header: by dialed prefix, else the default', () => {
    const { a, pbx } = admission(over);
    const uk = { ...invite(), uri: 'sip:+447700900123@gw.example.com' };
    expect(outcome(a.admit(uk, pbx))).toBe('+442071230000');
    expect(outcome(a.admit(invite(), pbx))).toBe('+12145551869');
  });
});
