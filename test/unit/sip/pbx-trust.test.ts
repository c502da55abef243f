import { describe, expect, it } from 'vitest';
import { pbxProof, pbxTrustWarnings } from '../../../src/sip/pbx-trust';
import { pbxTarget } from '../../support/config-fixtures';

const creds = { username: 'pbx-trunk', password: 'pw' };

describe('what a PBX INVITE must prove (SPEC R5)', () => {
  it('with inbound_auth: the digest, over every transport', () => {
    for (const protocol of ['udp', 'tcp', 'tls']) expect(pbxProof(pbxTarget({ inbound_auth: creds }), protocol)).toBe('digest');
  });

  it('without inbound_auth: the source address over TCP or TLS, over UDP only with trust_udp_source', () => {
    expect(pbxProof(pbxTarget(), 'tcp')).toBe('source');
    expect(pbxProof(pbxTarget(), 'TLS')).toBe('source');
    expect(pbxProof(pbxTarget(), 'udp')).toBe('refuse');
    expect(pbxProof(pbxTarget({ trust_udp_source: true }), 'udp')).toBe('source');
  });
});

describe('start-up warnings about PBX trust', () => {
  it('names a PBX trusted on its UDP source, and a UDP PBX whose calls will get 403', () => {
    const w = pbxTrustWarnings([
      pbxTarget({ name: 'trusted', trust_udp_source: true, allow_sources: ['10.0.0.5/32'] }),
      pbxTarget({ name: 'bare', transport: 'udp' }),
      pbxTarget({ name: 'challenged', inbound_auth: creds }),
      pbxTarget({ name: 'over-tcp', transport: 'tcp' }),
      pbxTarget({ name: 'inbound-only', allow_sources: [] }),
    ]);
    expect(w.map((x) => x.pbx)).toEqual(['trusted', 'bare']);
    expect(w[0]!.msg).toMatch(/PBX trusted: UDP INVITEs from 10\.0\.0\.5\/32 are admitted on their source address alone \(trust_udp_source: true\)/);
    expect(w[1]!.msg).toMatch(/PBX bare: its UDP INVITEs will be refused with 403.*inbound_auth.*trust_udp_source: true.*TCP\/TLS/);
  });
});
