import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import Ajv from 'ajv';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CIDR_PATTERN, IP_PATTERN } from '../../../src/config/address-patterns';
import { gatewayJsonSchema, gatewayJsonSchemaText } from '../../../src/config/json-schema';
import { ConfigError, loadConfig } from '../../../src/config/load';
import { isValidCidr } from '../../../src/util/cidr';
import { configWriter } from '../../support/config-fixtures';

/**
 * Issue 14: the JSON Schema of gateway.yaml (config/gateway.schema.json) is generated from
 * the convict schema, the example config validates against it, and the schema and the
 * loader reject the same mistakes. ajv (draft-07, strict) stands in for the editor.
 */
const root = resolve(__dirname, '../../..');
const write = configWriter('wa-gw-schema-');
// strict, but for strictRequired: the rules' subschemas (anyOf: [{ required: [x_env] }, ...]) name keys declared beside them
const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
const committed = readFileSync(join(root, 'config/gateway.schema.json'), 'utf8');
const validate = ajv.compile(JSON.parse(committed) as object);

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function base(): Doc {
  return {
    drachtio: { secret_env: 'DR_PW' },
    freeswitch: [{ host: '127.0.0.1', secret_env: 'FS_PW' }],
    meta: { hostname: 'sip.example.com' },
    numbers: [{ number: '+12145551869', sip_password_env: 'META_PW', pbx: 'main', destination: '1001', routes: [{ when: { tgrp: 'wacall' }, pbx: 'main', destination: '3001' }] }],
    pbxs: [{
      name: 'main', host: '10.0.0.5', business_number: '+12145551869',
      auth: { username: 'trunk', password_env: 'PBX_PW' },
      business_numbers_by_prefix: [{ prefix: '+44', number: '+12145551869' }],
    }],
  };
}
const ENV = { DR_PW: 'a', FS_PW: 'b', META_PW: 'c', PBX_PW: 'd' };

function loaderError(d: Doc): string | null {
  try {
    loadConfig([write('doc.yaml', stringify(d))], ENV);
    return null;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message;
  }
}

function schemaErrors(d: Doc): string | null {
  return validate(d) ? null : ajv.errorsText(validate.errors);
}

const edited = (edit: (d: Doc) => void): Doc => {
  const d = base();
  edit(d);
  return d;
};

/** [what, edit]: each one mistake in an otherwise good config */
const MISTAKES: [string, (d: Doc) => void][] = [
  ['an unknown top-level key', (d) => { d.extra = 1; }],
  ['a misspelt key in a section', (d) => { d.meta.host_name = 'x'; }],
  ['a misspelt key in a PBX', (d) => { d.pbxs[0].transprot = 'tcp'; }],
  ['a misspelt key in a route rule', (d) => { d.numbers[0].routes[0].when.cta = 'x'; }],
  ['a misspelt key in a prefix rule', (d) => { d.pbxs[0].business_numbers_by_prefix[0].nummer = '+1'; }],
  ['a number without its +', (d) => { d.numbers[0].number = '12145551869'; }],
  ['a number given as a YAML number', (d) => { d.numbers[0].number = 12145551869; }],
  ['no meta section', (d) => { delete d.meta; }],
  ['an empty meta.hostname', (d) => { d.meta.hostname = ' '; }],
  ['no media server', (d) => { d.freeswitch = []; }],
  ['a media server that is not a mapping', (d) => { d.freeswitch = ['127.0.0.1']; }],
  ['a quoted port', (d) => { d.pbxs[0].port = '5060'; }],
  ['a port out of range', (d) => { d.drachtio.port = 70000; }],
  ['a fractional limit', (d) => { d.limits = { max_calls: 1.5 }; }],
  ['a negative drain time', (d) => { d.shutdown = { drain_seconds: -1 }; }],
  ['a quoted boolean', (d) => { d.meta.require_tls = 'no'; }],
  ['srtp as a word', (d) => { d.pbxs[0].srtp = 'yes'; }],
  ['a quoted challenge status', (d) => { d.meta.challenge_status = '407'; }],
  ['a challenge status other than 401/407', (d) => { d.meta.challenge_status = 403; }],
  ['a transport in capitals', (d) => { d.pbxs[0].transport = 'UDP'; }],
  ['an unknown log level', (d) => { d.log = { level: 'verbose' }; }],
  ['nonce_ttl_seconds 0', (d) => { d.meta.nonce_ttl_seconds = 0; }],
  ['ring_timeout_seconds 0', (d) => { d.pbxs[0].ring_timeout_seconds = 0; }],
  ['a DTMF payload type outside 96-127', (d) => { d.pbxs[0].dtmf_payload_type = 13; }],
  ['a CIDR with a prefix too long', (d) => { d.meta.source_ranges = ['10.0.0.0/33']; }],
  ['a CIDR with an empty prefix', (d) => { d.pbxs[0].allow_sources = ['10.0.0.5/']; }],
  ['a name where a CIDR goes', (d) => { d.pbxs[0].allow_sources = ['pbx.example.com']; }],
  ['source_ranges as one string', (d) => { d.meta.source_ranges = '157.240.0.0/16'; }],
  ['an empty codec name', (d) => { d.pbxs[0].codecs = ['PCMU', '']; }],
  ['outside-line digits that are not digits', (d) => { d.pbxs[0].dialing = { strip_prefixes: ['9#'] }; }],
  ['strip_prefixes as a number', (d) => { d.pbxs[0].dialing = { strip_prefixes: 9 }; }],
  ['a country code as a YAML number', (d) => { d.pbxs[0].dialing = { country_code: 44 }; }],
  ['a dialed prefix without +', (d) => { d.pbxs[0].business_numbers_by_prefix[0].prefix = '44'; }],
  ['a PBX without a name', (d) => { delete d.pbxs[0].name; }],
  ['a PBX without a host', (d) => { delete d.pbxs[0].host; }],
  ['a PBX named by hostname without allow_sources', (d) => { d.pbxs[0].host = 'pbx.example.com'; }],
  ['a PBX named by hostname with empty allow_sources', (d) => { d.pbxs[0].host = 'pbx.example.com'; d.pbxs[0].allow_sources = []; }],
  ['trust_udp_source beside inbound_auth', (d) => { d.pbxs[0].trust_udp_source = true; d.pbxs[0].inbound_auth = { username: 'in', password_env: 'PBX_PW' }; }],
  ['a PBX password without a username', (d) => { delete d.pbxs[0].auth.username; }],
  ['a PBX username without a password', (d) => { delete d.pbxs[0].auth.password_env; }],
  ['an inbound_auth username without a password', (d) => { d.pbxs[0].inbound_auth = { username: 'in' }; }],
  ['a number naming no SIP password', (d) => { delete d.numbers[0].sip_password_env; }],
  ['a number naming its password twice', (d) => { d.numbers[0].sip_password_file = '/run/secrets/meta'; }],
  ['drachtio naming no secret', (d) => { delete d.drachtio.secret_env; }],
  ['no drachtio section', (d) => { delete d.drachtio; }],
  ['a media server naming no secret', (d) => { delete d.freeswitch[0].secret_env; }],
  ['an empty secret variable name', (d) => { d.drachtio.secret_env = ''; }],
  ['a route rule without a destination', (d) => { delete d.numbers[0].routes[0].destination; }],
  ['a number without a default PBX', (d) => { delete d.numbers[0].pbx; }],
];

/** what only the loader can know: the schema takes these, the loader stops on them */
const LOADER_ONLY: [string, (d: Doc) => void, string][] = [
  ['a number routed to a PBX that is not in pbxs', (d) => { d.numbers[0].pbx = 'nope'; }, 'numbers[0].pbx: no PBX named "nope"'],
  ['a business number listed twice', (d) => { d.numbers.push({ ...d.numbers[0] }); }, 'numbers: number +12145551869 is listed twice'],
  ['a PBX choosing a number that is not listed', (d) => { d.pbxs[0].business_number = '+12145550000'; }, 'pbxs[0].business_number: +12145550000 is not one of the numbers'],
  ['a secret variable that is not set', (d) => { d.drachtio.secret_env = 'NOT_SET_ANYWHERE'; }, 'drachtio.secret_env: environment variable NOT_SET_ANYWHERE is not set'],
  ['a CA file that cannot be read', (d) => { d.meta.outbound_tls_ca_file = '/nonexistent/ca.pem'; }, 'meta.outbound_tls_ca_file: cannot read'],
];

describe('the JSON Schema of gateway.yaml', () => {
  it('is committed exactly as generated from the convict schema (else: npm run schema)', () => {
    expect(committed).toBe(gatewayJsonSchemaText());
  });

  it('is referenced from the example config, which validates against it', () => {
    const text = readFileSync(join(root, 'config/gateway.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./gateway.schema.json');
    expect(schemaErrors(parse(text) as Doc)).toBeNull();
  });

  it('takes the good config the mistakes below start from, and so does the loader', () => {
    expect(schemaErrors(base())).toBeNull();
    expect(loaderError(base())).toBeNull();
  });

  it('takes good variants the loader takes: file secrets, IPv6 sources, every optional key', () => {
    const full = edited((d) => {
      d.numbers[0] = { number: '+442071230000', sip_password_file: join(root, 'package.json'), pbx: 'main', destination: '1' };
      d.pbxs[0] = { ...d.pbxs[0], host: 'pbx.example.com', allow_sources: ['2001:db8::/32', '192.0.2.10', '::ffff:192.0.2.1/128'], transport: 'tls',
        srtp: true, codecs: ['OPUS', 'pcmu'], dtmf_payload_type: 96, inbound_auth: { username: 'in', password_env: 'PBX_PW' }, trust_udp_source: false,
        dialing: { strip_prefixes: ['9'], international_prefix: '00', national_prefix: '0', country_code: '44' }, business_number: '+442071230000',
        business_numbers_by_prefix: [{ prefix: '+44', number: '+442071230000' }], business_numbers: ['+442071230000'] };
      d.meta = { hostname: 'sip.example.com', challenge_status: 401, require_tls: false, source_ranges: ['2a03:2880::/29'] };
      d.limits = { max_calls: 0, max_cps: 10 };
      d.media = { comfort_noise: false, meta_rtp_timeout_seconds: 0 };
      d.http = { port: 0 };
    });
    expect(loaderError(full)).toBeNull();
    expect(schemaErrors(full)).toBeNull();
  });

  it.each(MISTAKES)('rejects, as the loader does: %s', (_what, edit) => {
    const d = edited(edit);
    const fromLoader = loaderError(d);
    const fromSchema = schemaErrors(d);
    expect(fromLoader, 'loader').not.toBeNull();
    expect(fromSchema, `schema took what the loader refused with: ${fromLoader}`).not.toBeNull();
  });

  it.each(LOADER_ONLY)('leaves to the loader what it cannot know: %s', (_what, edit, message) => {
    const d = edited(edit);
    expect(schemaErrors(d)).toBeNull();
    expect(loaderError(d)).toContain(message);
  });

  it('marks a key required exactly when its convict default fails its own format', () => {
    const s = gatewayJsonSchema() as { required: string[]; properties: Record<string, { required?: string[]; items?: { required?: string[] } }> };
    expect(s.required.sort()).toEqual(['drachtio', 'freeswitch', 'meta']);
    expect(s.properties.meta!.required).toEqual(['hostname']);
    expect(s.properties.numbers!.items!.required).toEqual(['number', 'pbx', 'destination']);
    expect(s.properties.pbxs!.items!.required).toEqual(['name', 'host']);
  });
});

describe('address patterns of the schema agree with node:net and the loader', () => {
  const ip = new RegExp(IP_PATTERN);
  const cidr = new RegExp(CIDR_PATTERN);
  const SAMPLES = [
    '1.2.3.4', '0.0.0.0', '255.255.255.255', '01.2.3.4', '256.1.1.1', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', 'example.com',
    '::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1::2:1.2.3.4', '::ffff:1.2.3.4', '::1.2.3.4',
    '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', 'a:b::c:d:e:f:1', 'fe80::1%eth0', '2001:DB8::a', '[::1]', ':1', '1:',
    '1:::2', '1::2::3', 'gggg::1', '12345::', '1:2:3:4:5:6:7:8:9', '2803:6080:e888:51aa:d4a4:c5e0:300:0',
    '10.0.0.0/8', '10.0.0.5/32', '10.0.0.5/0', '10.0.0.0/33', '10.0.0.5/', '10.0.0.5/032', '10.0.0.5/-1', '10.0.0.5/8/8',
    '2001:db8::/32', '::/0', '::/128', '::/129', '2a03:2880::/029', 'example.com/24',
  ];

  it.each(SAMPLES)('%s', (s) => {
    expect(ip.test(s), 'IP_PATTERN vs isIP').toBe(isIP(s) !== 0);
    expect(cidr.test(s), 'CIDR_PATTERN vs isValidCidr').toBe(isValidCidr(s));
  });
});
