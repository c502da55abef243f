import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetaConfig, PbxTarget } from '../../src/config/types';

/** writes config files into a fresh temp folder; returns their paths */
export function configWriter(prefix: string): (name: string, text: string) => string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return (name, text) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
}

/** Complete config slices for unit tests, with the defaults the loader would apply. */
export function metaConfig(over: Partial<MetaConfig> = {}): MetaConfig {
  return {
    hostname: 'gw.example.com', source_ranges: ['157.240.0.0/16'], require_tls: true, auth_realm: 'gw.example.com',
    challenge_status: 407, nonce_ttl_seconds: 30, outbound_domain: 'wa.meta.vc', outbound_host: 'wa.meta.vc', outbound_port: 5061,
    outbound_tls_ca_file: '', outbound_tls_servername: 'wa.meta.vc', ...over,
  };
}

export function pbxTarget(over: Partial<PbxTarget> = {}): PbxTarget {
  return {
    name: 'main', host: '10.0.0.5', port: 5060, transport: 'udp', codecs: ['PCMU'], srtp: false, dtmf_payload_type: 101,
    ring_timeout_seconds: 30, header_prefix: 'X-WA-', auth: null, allow_sources: ['10.0.0.5'], inbound_auth: null, trust_udp_source: false,
    dialing: { strip_prefixes: [], international_prefix: '00', national_prefix: '0', country_code: '' },
    business_number: '', business_number_header: 'X-WA-Business-Number', business_numbers_by_prefix: [], business_numbers: [], ...over,
  };
}
