/**
 * The validated, frozen configuration. Keys mirror the YAML (snake_case) so that an
 * operator reading a log line or an error can find the key in the file as written.
 * Secrets arrive here already resolved from `*_env` / `*_file` keys; the YAML never
 * holds them.
 */

import type { DialingRules } from '../sip/dial-plan';

export type SipTransport = 'udp' | 'tcp' | 'tls';

export interface LogConfig {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
}

export interface DrachtioConfig {
  host: string;
  port: number;
  secret: string;
  /** the admin connection over TLS, verifying drachtio-server's certificate */
  tls: boolean;
  tls_ca_file: string;
  tls_servername: string;
}

export interface FreeswitchServer {
  host: string;
  port: number;
  secret: string;
  /** sofia profile the gateway sends its endpoint INVITEs to */
  profile: string;
  /** legs being set up here at once, at most (two per call); a new call beyond it gets 503 (0: no limit) */
  max_setups: number;
}

export interface MetaConfig {
  /** the hostname configured on the business numbers at Meta (our SIP host) */
  hostname: string;
  /** CIDRs Meta's SIP traffic may come from */
  source_ranges: string[];
  /** reject calls from Meta that did not arrive over TLS */
  require_tls: boolean;
  /** digest realm we challenge Meta with */
  auth_realm: string;
  /** 401 (WWW-Authenticate) or 407 (Proxy-Authenticate) */
  challenge_status: 401 | 407;
  nonce_ttl_seconds: number;
  /** business-initiated calls: Request-URI domain, where to send, and how to verify Meta's certificate */
  outbound_domain: string;
  outbound_host: string;
  outbound_port: number;
  outbound_tls_ca_file: string;
  outbound_tls_servername: string;
}

export interface RouteRule {
  /** all present keys must match; empty = default */
  when: { tgrp?: string; trunk_context?: string; cta_payload?: string; deeplink_payload?: string };
  pbx: string;
  /** user part (extension / DID) of the PBX Request-URI */
  destination: string;
}

export interface BusinessNumber {
  /** E.164 with leading + */
  number: string;
  /** the Meta-generated SIP password of this number */
  sip_password: string;
  routes: RouteRule[];
  /**
   * agent calls from a number of a country where Meta offers no business-initiated calling
   * (src/sip/meta-countries.ts): refused with 403, or allowed to Meta. The loader always sets
   * it (default refuse); absent (a number built by hand) is allow
   */
  country_rule?: 'refuse' | 'allow';
  /** Graph API access for the call permission check of agent calls; absent or null: no check, Meta decides */
  call_permissions?: CallPermissionConfig | null;
  /**
   * SRTP key exchange of agent calls toward Meta, as set at Meta (srtp_key_exchange_protocol):
   * SDES, or DTLS through rtpengine (issue 11). Calls from Meta are taken as Meta offers them.
   * The loader always sets it (default sdes); absent is sdes
   */
  srtp?: 'sdes' | 'dtls';
}

/** rtpengine, the DTLS-SRTP + ICE terminator of DTLS calls toward Meta (issue 11) */
export interface RtpengineConfig {
  /** its ng control address, host:port ('' = none: DTLS calls are refused) */
  address: string;
  /** an ng command not answered by then has failed */
  timeout_ms: number;
  /** how often rtpengine is pinged; two unanswered pings in a row: it is lost */
  ping_interval_ms: number;
  /** rtpengine's interface names toward Meta and toward FreeSWITCH ('' = its default interface) */
  meta_interface: string;
  freeswitch_interface: string;
}

export interface CallPermissionConfig {
  /** the number's Graph API phone number ID (not the number) */
  phone_number_id: string;
  /** Graph API access token (from token_env / token_file) */
  token: string;
  graph_url: string;
  graph_version: string;
  /** set-up waits this long for the Graph API at most; then the call goes to Meta unchecked */
  timeout_ms: number;
  /** an answer is reused this long for the same WhatsApp user */
  cache_seconds: number;
  /** with no permission, send the user a call permission request (a free-form interactive message) */
  request_permission: boolean;
  /** the body of that message */
  request_text: string;
}

export interface PbxAuth {
  username: string;
  password: string;
}

export interface PbxTarget {
  name: string;
  host: string;
  port: number;
  transport: SipTransport;
  /** codec names as FreeSWITCH knows them, preferred first: PCMU, PCMA, OPUS, G722 */
  codecs: string[];
  srtp: boolean;
  dtmf_payload_type: number;
  ring_timeout_seconds: number;
  /** prefix of the headers that carry Meta's values to the PBX */
  header_prefix: string;
  auth: PbxAuth | null;
  /** CIDRs this PBX sends calls from */
  allow_sources: string[];
  /** credentials the PBX must answer our challenge with, if any */
  inbound_auth: PbxAuth | null;
  /**
   * without inbound_auth, admit UDP INVITEs on the source address alone (explicit: a UDP
   * source can be forged); over TCP/TLS the source address suffices anyway
   */
  trust_udp_source: boolean;
  dialing: DialingRules;
  /** default business number for calls from this PBX ('' = none) */
  business_number: string;
  business_number_header: string;
  business_numbers_by_prefix: { prefix: string; number: string }[];
  /** more numbers the header may choose; the header may choose only business_number, these and the by-prefix ones */
  business_numbers: string[];
}

export interface CdrConfig {
  /** file the CDR JSON lines are appended to; empty = stdout */
  file: string;
}

export interface MediaConfig {
  meta_rtp_timeout_seconds: number;
  pbx_rtp_timeout_seconds: number;
  comfort_noise: boolean;
}

export interface HttpConfig {
  host: string;
  port: number;
}

/** this gateway process among several (issue 13) */
export interface ClusterConfig {
  /** its Redis lease and drachtio-server tag */
  instance_id: string;
  /** signs the digest nonces, the same on every instance ('' = a random key of this process) */
  secret: string;
}

export interface RedisConfig {
  /** '' = no Redis: limits and nonces are this process's own */
  host: string;
  port: number;
  password: string;
  key_prefix: string;
  on_unreachable: 'fail-open' | 'fail-closed';
  lease_seconds: number;
  command_timeout_ms: number;
}

export interface HomerConfig {
  /** header with the other leg's Call-ID on each outgoing INVITE ('' = none) */
  correlation_header: string;
}

export interface LimitsConfig {
  max_calls: number;
  max_calls_per_number: number;
  max_cps: number;
}

export interface GatewayConfig {
  log: LogConfig;
  drachtio: DrachtioConfig;
  freeswitch: FreeswitchServer[];
  meta: MetaConfig;
  numbers: BusinessNumber[];
  pbxs: PbxTarget[];
  cdr: CdrConfig;
  media: MediaConfig;
  http: HttpConfig;
  limits: LimitsConfig;
  shutdown: { drain_seconds: number };
  cluster: ClusterConfig;
  redis: RedisConfig;
  homer: HomerConfig;
  rtpengine: RtpengineConfig;
}
