import convict from 'convict';
import { DEFAULT_REQUEST_TEXT } from '../graph/call-permissions';
import { DEFAULT_GRAPH_URL, DEFAULT_GRAPH_VERSION } from '../graph/graph-client';
import { isValidCidr } from '../util/cidr';
import { clusterSchema } from './cluster-schema';

/**
 * convict schemas. The top level is one schema; list items (numbers, PBXs, media servers,
 * route rules) get one schema each and are validated item by item so that an error names
 * `numbers[2].pbx` rather than "numbers is invalid".
 */

convict.addFormat({
  name: 'nonempty-string',
  validate(v: unknown) {
    if (typeof v !== 'string' || v.trim() === '') throw new Error('must be a non-empty string');
  },
});
convict.addFormat({
  name: 'e164',
  validate(v: unknown) {
    if (typeof v !== 'string' || !/^\+[1-9]\d{6,14}$/.test(v)) {
      throw new Error(`must be an E.164 number with a leading + (e.g. +12145551869), got ${JSON.stringify(v)}`);
    }
  },
});
convict.addFormat({
  name: 'positive-int',
  validate(v: unknown) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`must be a whole number of 1 or more, got ${JSON.stringify(v)}`);
  },
});
convict.addFormat({
  // RFC 3551's dynamic range; FreeSWITCH offers telephone-event only on a payload type above 95
  name: 'dynamic-payload-type',
  validate(v: unknown) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 96 || v > 127) throw new Error(`must be a dynamic RTP payload type, 96 to 127, got ${JSON.stringify(v)}`);
  },
});
convict.addFormat({
  // convict's own Boolean turns any string but "false" into true ("no" → true): not for any switch
  name: 'strict-boolean',
  validate(v: unknown) {
    if (typeof v !== 'boolean') throw new Error('must be true or false (unquoted)');
  },
});
convict.addFormat({
  // convict's own 'port' and 'nat' turn a quoted "5060" into 5060: YAML has numbers, so a string is a mistake
  name: 'port-number',
  validate(v: unknown) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) throw new Error(`must be a port number, 0 to 65535 (unquoted), got ${JSON.stringify(v)}`);
  },
});
convict.addFormat({
  name: 'whole-number',
  validate(v: unknown) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`must be a whole number, 0 or more (unquoted), got ${JSON.stringify(v)}`);
  },
});
convict.addFormat({
  name: 'challenge-status',
  validate(v: unknown) {
    if (v !== 401 && v !== 407) throw new Error(`must be 401 or 407 (unquoted), got ${JSON.stringify(v)}`);
  },
});
convict.addFormat({
  name: 'digit-string-list',
  validate(v: unknown) {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !/^\d+$/.test(x))) throw new Error('must be a list of digit strings, e.g. ["9"]');
  },
});
convict.addFormat({
  name: 'dialed-prefix',
  validate(v: unknown) {
    if (typeof v !== 'string' || !/^\+\d+$/.test(v)) throw new Error(`must be "+" and digits, e.g. "+44", got ${JSON.stringify(v)}`);
  },
});
convict.addFormat({
  name: 'cidr-list',
  validate(v: unknown) {
    if (!Array.isArray(v)) throw new Error('must be a list of CIDRs');
    for (const c of v) {
      if (typeof c !== 'string' || !isValidCidr(c)) throw new Error(`${JSON.stringify(c)} is not an IPv4/IPv6 CIDR`);
    }
  },
});
convict.addFormat({
  name: 'string-list',
  validate(v: unknown) {
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '')) {
      throw new Error('must be a list of non-empty strings');
    }
  },
});
convict.addFormat({
  name: 'object-list',
  validate(v: unknown) {
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'object' || s === null || Array.isArray(s))) {
      throw new Error('must be a list of mappings');
    }
  },
});

/**
 * Meta's prefixes (AS32934).
 * IPv4: from Meta's calling FAQ (December 2024).
 * IPv6: Meta's FAQ lists none. These aggregate the IRR route6 objects with origin AS32934
 * (`whois -h whois.radb.net -- '-i origin AS32934'`, a RADb snapshot of 2025-11-21 kept in
 * github.com/headwalluk/trusted-network-providers, src/assets/facebookbot-ip6s.txt: 616
 * routes, 608 of them inside 2a03:2880::/29), plus 2803:6080::/29 (LACNIC), where Meta's own
 * SIP traces in meta-docs/calling-sip-configuration-guide.md come from over IPv6 (Via
 * `received=2803:6080:...`); that project's RADb refresh of 2026-07 lists it too. Left out:
 * two /48s of ISP-hosted caches (2806:1090:cbff::, 2806:10a0:cbff::) and one /64.
 */
export const META_DEFAULT_RANGES = [
  '31.13.24.0/21', '31.13.64.0/18', '45.64.40.0/22', '57.141.0.0/21', '57.141.8.0/22',
  '57.141.12.0/23', '57.144.0.0/14', '66.220.144.0/20', '69.63.176.0/20', '69.171.224.0/19',
  '74.119.76.0/22', '102.132.96.0/20', '103.4.96.0/22', '129.134.0.0/16', '147.75.208.0/20',
  '157.240.0.0/16', '163.70.128.0/17', '163.77.128.0/17', '173.252.64.0/18', '179.60.192.0/22',
  '185.60.216.0/22', '185.89.216.0/22', '204.15.20.0/22',
  '2401:db00::/32', '2620:0:1c00::/40', '2803:6080::/29', '2a03:2880::/29', '2a03:83e0::/32',
];

const secretKeys = (what: string) => ({
  [`${what}_env`]: { doc: `environment variable holding the ${what}`, format: String, default: '' },
  [`${what}_file`]: { doc: `file holding the ${what}`, format: String, default: '' },
});

export const topSchema = {
  ...clusterSchema,
  log: {
    level: { doc: 'pino log level', format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'], default: 'info' },
  },
  drachtio: {
    host: { doc: 'drachtio-server admin host', format: 'nonempty-string', default: '127.0.0.1' },
    port: { doc: 'drachtio-server admin port', format: 'port-number', default: 9022 },
    ...secretKeys('secret'),
    tls: { doc: "connect over TLS (drachtio-server's --tls-port); its certificate is verified", format: 'strict-boolean', default: false },
    tls_ca_file: { doc: "CA bundle drachtio-server's certificate is verified against (empty: the system's)", format: String, default: '' },
    tls_servername: { doc: "name drachtio-server's certificate must carry (empty: host)", format: String, default: '' },
  },
  freeswitch: { doc: 'FreeSWITCH media servers', format: 'object-list', default: [] as unknown[] },
  meta: {
    hostname: { doc: 'our SIP hostname, as configured on the numbers at Meta', format: 'nonempty-string', default: '' },
    source_ranges: { doc: "CIDRs Meta's SIP traffic comes from", format: 'cidr-list', default: META_DEFAULT_RANGES },
    require_tls: { doc: 'only accept Meta calls over TLS', format: 'strict-boolean', default: true },
    auth_realm: { doc: 'digest realm for challenging Meta (default: hostname)', format: String, default: '' },
    challenge_status: { doc: '401 or 407', format: 'challenge-status', default: 407 },
    nonce_ttl_seconds: { doc: 'how long a digest nonce is valid (1 or more)', format: 'positive-int', default: 30 },
    outbound_domain: { doc: 'domain of the Request-URI of business-initiated calls (never an IP)', format: 'nonempty-string', default: 'wa.meta.vc' },
    outbound_host: { doc: "where business-initiated INVITEs are sent (Meta's SIP host)", format: 'nonempty-string', default: 'wa.meta.vc' },
    outbound_port: { doc: "Meta's SIP TLS port", format: 'port-number', default: 5061 },
    outbound_tls_ca_file: { doc: "CA bundle Meta's certificate is verified against (empty: the system's)", format: String, default: '' },
    outbound_tls_servername: { doc: "name Meta's certificate must carry", format: 'nonempty-string', default: 'wa.meta.vc' },
  },
  numbers: { doc: 'business numbers', format: 'object-list', default: [] as unknown[] },
  pbxs: { doc: 'PBX trunks', format: 'object-list', default: [] as unknown[] },
  cdr: {
    file: { doc: 'file CDR lines are appended to (empty: stdout)', format: String, default: '' },
  },
  http: {
    host: { doc: 'address of /healthz, /readyz and /metrics', format: 'nonempty-string', default: '127.0.0.1' },
    port: { doc: 'port of /healthz, /readyz and /metrics (0: off)', format: 'port-number', default: 8080 },
  },
  limits: {
    max_calls: { doc: 'concurrent calls in all (0: no limit)', format: 'whole-number', default: 0 },
    max_calls_per_number: { doc: "concurrent calls per business number (Meta's limit is 1000)", format: 'whole-number', default: 1000 },
    max_cps: { doc: 'new calls per second (0: no limit)', format: 'whole-number', default: 0 },
  },
  shutdown: {
    drain_seconds: { doc: 'on SIGTERM, how long active calls may go on before they are ended', format: 'whole-number', default: 300 },
  },
  rtpengine: {
    address: { doc: "rtpengine's ng control address, host:port, for DTLS-SRTP calls with Meta (empty: none; Meta's DTLS offers get 488, DTLS agent calls 503)", format: String, default: '' },
    timeout_ms: { doc: 'an ng command to rtpengine not answered by then has failed', format: 'positive-int', default: 1000 },
    ping_interval_ms: { doc: 'how often rtpengine is pinged; two unanswered pings in a row and its DTLS calls end, new ones get 503', format: 'positive-int', default: 1000 },
    meta_interface: { doc: "rtpengine's interface name toward Meta (its --interface NAME/IP; empty: its default)", format: String, default: '' },
    freeswitch_interface: { doc: "rtpengine's interface name toward FreeSWITCH (empty: its default)", format: String, default: '' },
  },
  media: {
    meta_rtp_timeout_seconds: { doc: 'end the call when Meta sends no RTP this long (0: off); Meta itself drops at 30 s', format: 'whole-number', default: 20 },
    pbx_rtp_timeout_seconds: { doc: 'end the call when the PBX sends no RTP this long (0: off)', format: 'whole-number', default: 0 },
    comfort_noise: { doc: 'keep sending comfort noise to Meta while the PBX is silent or holds', format: 'strict-boolean', default: true },
  },
};

export const freeswitchSchema = {
  host: { format: 'nonempty-string', default: '127.0.0.1' },
  port: { format: 'port-number', default: 8021 },
  ...secretKeys('secret'),
  profile: { format: 'nonempty-string', default: 'drachtio_mrf' },
  max_setups: { format: 'whole-number', default: 40 },
};

export const routeRuleSchema = {
  when: {
    tgrp: { format: String, default: '' },
    trunk_context: { format: String, default: '' },
    cta_payload: { format: String, default: '' },
    deeplink_payload: { format: String, default: '' },
  },
  pbx: { format: 'nonempty-string', default: '' },
  destination: { format: 'nonempty-string', default: '' },
};

export const numberSchema = {
  number: { format: 'e164', default: '' },
  ...secretKeys('sip_password'),
  pbx: { doc: 'default PBX for calls to this number', format: 'nonempty-string', default: '' },
  destination: { doc: 'default extension / DID at that PBX', format: 'nonempty-string', default: '' },
  routes: { doc: 'rules checked before the default', format: 'object-list', default: [] as unknown[] },
  country_rule: {
    doc: 'agent calls from a number of a country where Meta offers no business-initiated calling (USA, Canada, Egypt, Vietnam, Nigeria): refuse them (403), or allow them to go to Meta',
    format: ['refuse', 'allow'],
    default: 'refuse',
  },
  srtp: {
    doc: "SRTP key exchange of agent calls toward Meta, as set on the number at Meta (srtp_key_exchange_protocol): sdes, or dtls through rtpengine; calls from Meta are taken in whichever mode Meta offers",
    format: ['sdes', 'dtls'],
    default: 'sdes',
  },
  call_permissions: {
    phone_number_id: { doc: "the number's Graph API phone number ID; set: agent calls are checked against Meta's call permissions first", format: String, default: '' },
    ...secretKeys('token'),
    graph_url: { doc: 'Graph API base URL', format: String, default: DEFAULT_GRAPH_URL },
    graph_version: { doc: 'Graph API version', format: String, default: DEFAULT_GRAPH_VERSION },
    timeout_ms: { doc: 'how long set-up waits for the Graph API before the call goes to Meta unchecked', format: 'positive-int', default: 1000 },
    cache_seconds: { doc: 'how long an answer is reused for the same WhatsApp user (1 or more)', format: 'positive-int', default: 10 },
    request_permission: { doc: 'with no permission, send the user a call permission request (a free-form interactive message)', format: 'strict-boolean', default: false },
    request_text: { doc: 'the body of that message', format: String, default: DEFAULT_REQUEST_TEXT },
  },
};

export const pbxSchema = {
  name: { format: 'nonempty-string', default: '' },
  host: { format: 'nonempty-string', default: '' },
  port: { format: 'port-number', default: 5060 },
  transport: { format: ['udp', 'tcp', 'tls'], default: 'udp' },
  codecs: { format: 'string-list', default: ['PCMU', 'PCMA'] },
  srtp: { format: 'strict-boolean', default: false },
  dtmf_payload_type: { doc: 'RFC 4733 telephone-event payload type (96-127)', format: 'dynamic-payload-type', default: 101 },
  ring_timeout_seconds: { doc: 'no answer by then: the caller gets 480 (1 or more)', format: 'positive-int', default: 60 },
  header_prefix: { format: 'nonempty-string', default: 'X-WA-' },
  auth: {
    username: { format: String, default: '' },
    ...secretKeys('password'),
  },
  allow_sources: { doc: 'addresses this PBX places calls from (default: host, if an IP)', format: 'cidr-list', default: [] as string[] },
  inbound_auth: {
    username: { doc: 'challenge this PBX\'s INVITEs with these credentials', format: String, default: '' },
    ...secretKeys('password'),
  },
  trust_udp_source: {
    doc: 'admit this PBX\'s UDP INVITEs on their source address alone, without inbound_auth (a UDP source address can be forged)',
    format: 'strict-boolean',
    default: false,
  },
  dialing: {
    strip_prefixes: { doc: 'outside-line digits removed first, e.g. ["9"]', format: 'digit-string-list', default: [] as string[] },
    international_prefix: { format: String, default: '00' },
    national_prefix: { format: String, default: '0' },
    country_code: { doc: 'for national numbers, e.g. "44"', format: String, default: '' },
  },
  business_number: { doc: 'business number calls from this PBX come from', format: String, default: '' },
  business_number_header: { doc: 'header the PBX may set to choose one of its business numbers', format: String, default: 'X-WA-Business-Number' },
  business_numbers: { doc: 'further business numbers this PBX may choose by header (besides business_number and business_numbers_by_prefix)', format: 'string-list', default: [] as string[] },
  business_numbers_by_prefix: { doc: '[{prefix, number}]: by dialed E.164 prefix', format: 'object-list', default: [] as unknown[] },
};

export const prefixRuleSchema = {
  prefix: { doc: 'dialed E.164 prefix, e.g. "+44"', format: 'dialed-prefix', default: '' },
  number: { doc: 'the business number calls to that prefix come from', format: 'e164', default: '' },
};
