import { describe, expect, it } from 'vitest';
import { digestResponse, parseDigestHeader } from '../../../src/auth/digest';
import { DigestServer } from '../../../src/auth/digest-server';
import type { BusinessNumber } from '../../../src/config/types';
import { metaConfig, pbxTarget } from '../../support/config-fixtures';
import { MetaAdmission, type InboundCall } from '../../../src/sip/meta-admission';
import { REJECTIONS, type Rejection } from '../../../src/sip/errors';
import { META_DTLS_OFFER } from '../../support/meta-dtls-sdp';
import type { InviteView } from '../../../src/sip/invite-view';
import { metaOffer } from '../../support/sdp';

const meta = metaConfig();
const pbx = pbxTarget();
const sales = pbxTarget({ name: 'sales' });
const number: BusinessNumber = {
  number: '+12145551869', sip_password: 'pw',
  routes: [{ when: { cta_payload: 'promo' }, pbx: 'sales', destination: '2000' }, { when: {}, pbx: 'main', destination: '1001' }],
};
const digest = new DigestServer({ realm: 'gw.example.com', ttlSeconds: 30 });
const admission = new MetaAdmission({ meta, numbers: [number], pbxs: [pbx, sales], digest });

function invite(o: Partial<InviteView> & { hdrs?: Record<string, string> } = {}): InviteView {
  const headers: Record<string, string> = { from: '"12195550714" <sip:+12195550714@wa.meta.vc>;tag=1', ...o.hdrs };
  return {
    uri: 'sip:+12145551869@gw.example.com;transport=tls', method: 'INVITE', protocol: 'tls', source_address: '157.240.19.130',
    callId: 'outgoing:wacid.ABC', body: metaOffer({ ip: '157.240.19.130', port: 3480, keyB64: 'k'.repeat(40) }),
    headers, get: (n: string) => headers[n.toLowerCase()], ...o,
  };
}

function authorized(hdrs: Record<string, string> = {}, password = 'pw'): InviteView {
  const ch = admission.admit(invite()) as Rejection;
  const c = parseDigestHeader(ch.headers!['Proxy-Authenticate'])!;
  const uri = 'sip:+12145551869@gw.example.com';
  const response = digestResponse({ algorithm: 'MD5', username: '12145551869', realm: c.realm!, password, method: 'INVITE', uri, nonce: c.nonce!, qop: 'auth', nc: '00000001', cnonce: 'x' });
  return invite({ hdrs: { ...hdrs, 'proxy-authorization': `Digest username="12145551869", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", response="${response}", qop=auth, nc=00000001, cnonce="x", algorithm=MD5` } });
}

const code = (r: InboundCall | Rejection) => ('code' in r ? r.code : 'admitted');

describe('admission of calls from Meta', () => {
  it('identifies Meta by source address', () => {
    expect(admission.isMetaSource('157.240.19.130')).toBe(true);
    expect(admission.isMetaSource('203.0.113.9')).toBe(false);
  });

  it('refuses non-TLS, bad Request-URIs and unknown numbers before any challenge', () => {
    expect(code(admission.admit(invite({ protocol: 'udp' })))).toBe('TLS_REQUIRED');
    expect(code(admission.admit(invite({ uri: 'sip:bob@gw.example.com' })))).toBe('BAD_REQUEST_URI');
    expect(code(admission.admit(invite({ uri: 'sip:+15550001111@gw.example.com' })))).toBe('UNKNOWN_NUMBER');
  });

  it('challenges, then admits with the right password and routes by CTA payload', () => {
    const first = admission.admit(invite()) as Rejection;
    expect(first.code).toBe('AUTH_CHALLENGE_PROXY');
    expect(first.headers?.['Proxy-Authenticate']).toMatch(/^Digest realm="gw.example.com", nonce="[^"]+", opaque="[^"]+", algorithm=MD5, qop="auth"$/);
    const ok = admission.admit(authorized()) as InboundCall;
    expect(ok).toMatchObject({ caller: '+12195550714', wacid: 'ABC', destination: '1001' });
    expect(ok.pbx.name).toBe('main');
    const promo = admission.admit(authorized({ 'x-wa-meta-cta-payload': 'promo' })) as InboundCall;
    expect(promo.pbx.name).toBe('sales');
    expect(promo.pbxHeaders['X-WA-Cta-Payload']).toBe('promo');
  });

  it('refuses wrong credentials with AUTH_FAILED and a bad offer after auth', () => {
    expect(code(admission.admit(authorized({}, 'wrong')))).toBe('AUTH_FAILED');
    const noSdp = { ...authorized(), body: '' };
    expect(code(admission.admit(noSdp))).toBe('NO_SDP');
  });
});

describe('callers without a usable number (RFC 3323)', () => {
  it('a withheld caller is admitted with no number, not a mangled one', () => {
    const call = admission.admit(authorized({ from: '"Anonymous" <sip:anonymous@anonymous.invalid>;tag=1' })) as InboundCall;
    expect(call).toMatchObject({ caller: null, userId: null });
  });

  it("a caller Meta identifies by a business-scoped user id keeps that id for the PBX's X- header", () => {
    const call = admission.admit(authorized({ from: '<sip:US.13491208655302741918@wa.meta.vc>;tag=1' })) as InboundCall;
    expect(call).toMatchObject({ caller: null, userId: 'US.13491208655302741918' });
    expect(call.pbxHeaders['X-WA-User-Id']).toBe('US.13491208655302741918');
  });

  it("Meta's own x-wa-meta-user-id header wins over the From's user part", () => {
    const call = admission.admit(authorized({ from: '<sip:US.1@wa.meta.vc>;tag=1', 'x-wa-meta-user-id': 'US.999' })) as InboundCall;
    expect(call.pbxHeaders['X-WA-User-Id']).toBe('US.999');
  });
});

describe("Meta's DTLS offers (issue 11)", () => {
  const withDtls = (state: 'off' | 'up' | 'down') => new MetaAdmission({ meta, numbers: [number], pbxs: [pbx, sales], digest, dtls: () => state });
  // a fresh nonce per admission: authorized() challenges through the module's admission
  const dtlsInvite = () => ({ ...authorized(), body: META_DTLS_OFFER });

  it('admits a DTLS offer while rtpengine answers, refuses it 488 without rtpengine and 503 while it is down', () => {
    expect(code(withDtls('up').admit(dtlsInvite()))).toBe('admitted');
    expect(code(withDtls('off').admit(dtlsInvite()))).toBe('DTLS_OFFER');
    expect(code(admission.admit(dtlsInvite()))).toBe('DTLS_OFFER');
    const down = withDtls('down').admit(dtlsInvite()) as Rejection;
    expect(down.code).toBe('DTLS_UNAVAILABLE');
    expect(REJECTIONS[down.code].status).toBe(503);
    expect(REJECTIONS.DTLS_OFFER.status).toBe(488);
  });

  it('an SDES offer is admitted whatever state rtpengine is in', () => {
    for (const s of ['off', 'up', 'down'] as const) expect(code(withDtls(s).admit(authorized())), s).toBe('admitted');
  });
});
