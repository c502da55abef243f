import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import convict from 'convict';
import { parseDocument } from 'yaml';
import { freeswitchSchema, numberSchema, pbxSchema, prefixRuleSchema, routeRuleSchema, topSchema } from './schema';
import { GRAPH_URL_PATTERN, GRAPH_VERSION_PATTERN } from '../graph/graph-client';
import { parseNgAddress } from './ng-address';
import type { BusinessNumber, CallPermissionConfig, ClusterConfig, RedisConfig, FreeswitchServer, GatewayConfig, PbxTarget, RouteRule, RtpengineConfig } from './types';

/**
 * The only reader of config files and of the environment (STYLE habit 8): YAML files are
 * parsed, merged in order, validated strictly (unknown keys are errors), secrets are
 * resolved from `*_env` / `*_file`, and the result is frozen.
 */

export class ConfigError extends Error {
  constructor(readonly file: string, readonly key: string, detail: string) {
    super(`${file}: ${key}: ${detail}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;
type Doc = Record<string, unknown>;
interface Source { file: string; doc: Doc }

function readYaml(file: string): Source {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, '(file)', `cannot read: ${(err as Error).message}`);
  }
  const parsed = parseDocument(text, { prettyErrors: false });
  const first = parsed.errors[0];
  if (first) {
    const line = text.slice(0, first.pos[0]).split('\n').length;
    throw new ConfigError(file, `line ${line}`, `YAML syntax error: ${first.message.split('\n')[0]}`);
  }
  const doc: unknown = parsed.toJS() ?? {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(file, '(top)', 'must be a YAML mapping');
  return { file, doc: doc as Doc };
}

function isMapping(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(into: Doc, from: Doc): Doc {
  const out: Doc = { ...into };
  for (const [k, v] of Object.entries(from)) {
    const prev = out[k];
    out[k] = isMapping(prev) && isMapping(v) ? merge(prev, v) : v;
  }
  return out;
}

/** whether a document sets `path` (e.g. `numbers[0].pbx`) */
function defines(doc: Doc, path: string): boolean {
  let node: unknown = doc;
  for (const p of path.replace(/\[(\d+)\]/g, '.$1').split('.')) node = isMapping(node) || Array.isArray(node) ? (node as Doc)[p] : undefined;
  return node !== undefined;
}

/** the last file whose document defines `path`, else the last file */
function fileDefining(sources: Source[], path: string): string {
  for (const { file, doc } of [...sources].reverse()) if (defines(doc, path)) return file;
  return sources[sources.length - 1]?.file ?? '(config)';
}

/** validate one mapping against a convict schema; key names in errors get `prefix` */
function validate<T>(schema: object, value: unknown, prefix: string, sources: Source[]): T {
  const conf = convict(schema as convict.Schema<T>);
  try {
    conf.load(value as object);
    conf.validate({ allowed: 'strict' });
  } catch (err) {
    const line = (err as Error).message.split('\n')[0] ?? '';
    const unknown = /configuration param '([^']+)' not declared/.exec(line);
    const invalid = /^([\w.]+): (.*)$/.exec(line);
    const key = prefix + (unknown?.[1] ?? invalid?.[1] ?? '');
    const detail = unknown ? 'unknown key' : (invalid?.[2] ?? line);
    throw new ConfigError(fileDefining(sources, key), key, detail);
  }
  return conf.getProperties();
}

/** `numbers[0].sip_password` → `numbers[0]`: the section a secret belongs to */
function sectionOf(key: string): string {
  return key.slice(0, Math.max(0, key.lastIndexOf('.'))) || key;
}

/**
 * A secret named by `<key>_env` or `<key>_file`. Whatever names it must deliver a non-empty
 * value: an unset or empty variable, an unreadable or empty file, or (when `required`) a
 * section that names neither stops the start. There are no built-in fallbacks (no
 * drachtio "cymru", no FreeSWITCH "ClueCon"): a default secret is a known secret.
 */
function secret(sources: Source[], env: Env, key: string, envName: string, fileName: string, required: boolean): string {
  if (envName && fileName) throw new ConfigError(fileDefining(sources, `${key}_env`), key, 'set either _env or _file, not both');
  if (envName) {
    const v = env[envName];
    if (v !== undefined && v.trim() !== '') return v;
    const what = v === undefined ? 'is not set' : 'is empty';
    throw new ConfigError(fileDefining(sources, `${key}_env`), `${key}_env`, `environment variable ${envName} ${what}`);
  }
  if (fileName) {
    let v: string;
    try {
      v = readFileSync(fileName, 'utf8').trim();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new ConfigError(fileDefining(sources, `${key}_file`), `${key}_file`, `cannot read a secret from ${fileName} (${code})`);
    }
    if (v) return v;
    throw new ConfigError(fileDefining(sources, `${key}_file`), `${key}_file`, `secret file ${fileName} is empty`);
  }
  if (required) throw new ConfigError(fileDefining(sources, sectionOf(key)), `${key}_env`, 'required: name an environment variable (or use _file)');
  return '';
}

type Raw<T> = T & Record<string, string>;
type RawCallPermissions = Omit<CallPermissionConfig, 'token'> & { token_env?: string; token_file?: string };

function loadNumber(raw: unknown, i: number, sources: Source[], env: Env, pbxNames: Set<string>): BusinessNumber {
  const key = `numbers[${i}]`;
  type RawNumber = Raw<{ number: string; pbx: string; destination: string; routes: unknown[]; country_rule: 'refuse' | 'allow'; srtp: 'sdes' | 'dtls'; call_permissions: RawCallPermissions }>;
  const n = validate<RawNumber>(numberSchema, raw, `${key}.`, sources);
  const rules = n.routes.map((r, j) => validate<RouteRule>(routeRuleSchema, r, `${key}.routes[${j}].`, sources));
  const routes: RouteRule[] = [...rules, { when: {}, pbx: n.pbx, destination: n.destination }];
  routes.forEach((r, j) => {
    if (!pbxNames.has(r.pbx)) {
      const at = j < rules.length ? `${key}.routes[${j}].pbx` : `${key}.pbx`;
      throw new ConfigError(fileDefining(sources, at), at, `no PBX named ${JSON.stringify(r.pbx)} in pbxs`);
    }
  });
  const password = secret(sources, env, `${key}.sip_password`, n.sip_password_env ?? '', n.sip_password_file ?? '', true);
  const callPermissions = loadCallPermissions(n.call_permissions, `${key}.call_permissions`, sources, env);
  return { number: n.number, sip_password: password, routes, country_rule: n.country_rule, srtp: n.srtp, call_permissions: callPermissions };
}

/** numbers[].call_permissions: off without a phone_number_id; with one, a token and a well-formed Graph URL and version */
function loadCallPermissions(c: RawCallPermissions, key: string, sources: Source[], env: Env): CallPermissionConfig | null {
  const fail = (k: string, detail: string) => new ConfigError(fileDefining(sources, `${key}.${k}`), `${key}.${k}`, detail);
  if (!c.phone_number_id) {
    const stray = c.token_env ? 'token_env' : c.token_file ? 'token_file' : c.request_permission ? 'request_permission' : null;
    if (stray) throw fail('phone_number_id', `required: ${key}.${stray} is set but no phone_number_id`);
    return null;
  }
  if (!/^\d+$/.test(c.phone_number_id)) throw fail('phone_number_id', 'must be the numeric phone number ID from WhatsApp Manager (not the phone number itself)');
  const graphUrl = c.graph_url.replace(/\/+$/, '');
  if (!GRAPH_URL_PATTERN.test(graphUrl)) throw fail('graph_url', `must start with https:// (got ${JSON.stringify(c.graph_url)})`);
  if (!GRAPH_VERSION_PATTERN.test(c.graph_version)) throw fail('graph_version', `must look like v21.0 (got ${JSON.stringify(c.graph_version)})`);
  const token = secret(sources, env, `${key}.token`, c.token_env ?? '', c.token_file ?? '', true);
  const { token_env: _e, token_file: _f, ...rest } = c;
  return { ...rest, graph_url: graphUrl, token };
}

function credentials(sources: Source[], env: Env, key: string, a: Raw<{ username: string }>): PbxTarget['auth'] {
  if (!a.username && (a.password_env || a.password_file)) {
    const named = a.password_env ? 'password_env' : 'password_file';
    throw new ConfigError(fileDefining(sources, `${key}.${named}`), `${key}.username`, `required: ${key}.${named} is set but no username`);
  }
  const password = secret(sources, env, `${key}.password`, a.password_env ?? '', a.password_file ?? '', a.username !== '');
  return a.username ? { username: a.username, password } : null;
}

function loadPbx(raw: unknown, i: number, sources: Source[], env: Env, numbers: Set<string>): PbxTarget {
  const key = `pbxs[${i}]`;
  type RawPbx = Omit<PbxTarget, 'auth' | 'inbound_auth'> & { auth: Raw<{ username: string }>; inbound_auth: Raw<{ username: string }> };
  const p = validate<RawPbx>(pbxSchema, raw, `${key}.`, sources);
  const fail = (k: string, detail: string) => new ConfigError(fileDefining(sources, `${key}.${k}`), `${key}.${k}`, detail);
  p.business_numbers_by_prefix.forEach((b, j) => validate(prefixRuleSchema, b, `${key}.business_numbers_by_prefix[${j}].`, sources));
  const chosen = [p.business_number, ...p.business_numbers_by_prefix.map((b) => b.number)].filter(Boolean);
  for (const n of chosen) if (!numbers.has(n)) throw fail('business_number', `${n} is not one of the numbers`);
  const listed = p.business_numbers.find((n) => !numbers.has(n));
  if (listed !== undefined) throw fail('business_numbers', `${listed} is not one of the numbers`);
  if (p.trust_udp_source && p.inbound_auth.username) throw fail('trust_udp_source', 'has no effect with inbound_auth (its INVITEs are challenged over every transport): remove one of the two');
  const hostIsIp = isIP(p.host) !== 0;
  // calls from a PBX are recognised by their source address: a hostname is not one
  if (!hostIsIp && p.allow_sources.length === 0) {
    throw fail('allow_sources', `required: host ${p.host} is a name, not an address, so this PBX's calls cannot be recognised; list the addresses it sends from (CIDRs)`);
  }
  return {
    ...p,
    codecs: p.codecs.map((c) => c.toUpperCase()),
    auth: credentials(sources, env, `${key}.auth`, p.auth),
    inbound_auth: credentials(sources, env, `${key}.inbound_auth`, p.inbound_auth),
    allow_sources: p.allow_sources.length ? p.allow_sources : hostIsIp ? [p.host] : [],
  };
}

function loadFreeswitch(raw: unknown, i: number, sources: Source[], env: Env): FreeswitchServer {
  const key = `freeswitch[${i}]`;
  const f = validate<Raw<Omit<FreeswitchServer, 'secret'>>>(freeswitchSchema, raw, `${key}.`, sources);
  const s = secret(sources, env, `${key}.secret`, f.secret_env ?? '', f.secret_file ?? '', true);
  const { secret_env: _e, secret_file: _f, ...rest } = f;
  return { ...rest, secret: s };
}

type RawCluster = { cluster: Raw<{ instance_id: string }>; redis: Raw<Omit<RedisConfig, 'password'>> };

/** a name for this process when cluster.instance_id is not set: the host's, and the process id */
function defaultInstanceId(): string {
  return `${hostname().replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 12)}-${process.pid}`.slice(0, 20);
}

/**
 * cluster and redis (issue 13): with Redis, the instances must share cluster.secret, or a
 * nonce one of them issued is refused by the others
 */
function loadCluster(top: RawCluster, sources: Source[], env: Env): { cluster: ClusterConfig; redis: RedisConfig } {
  const { cluster: c, redis: r } = top;
  const fail = (key: string, detail: string) => new ConfigError(fileDefining(sources, key), key, detail);
  const id = c.instance_id || defaultInstanceId();
  if (!/^[A-Za-z0-9_-]{1,20}$/.test(id)) throw fail('cluster.instance_id', `${JSON.stringify(id)}: letters, digits, - and _ only, 1 to 20 of them (it names this instance's drachtio-server tag and Redis lease)`);
  if (r.host && !c.secret_env && !c.secret_file) {
    throw fail('cluster.secret_env', 'required with redis.host: every instance signs its digest nonces with it, so that one accepts the nonces of another');
  }
  if (r.lease_seconds < 3) throw fail('redis.lease_seconds', `must be 3 or more (the lease is refreshed every third of it), got ${r.lease_seconds}`);
  const secretValue = secret(sources, env, 'cluster.secret', c.secret_env ?? '', c.secret_file ?? '', false);
  const password = secret(sources, env, 'redis.password', r.password_env ?? '', r.password_file ?? '', false);
  return {
    cluster: { instance_id: id, secret: secretValue },
    redis: {
      host: r.host, port: r.port, password, key_prefix: r.key_prefix, on_unreachable: r.on_unreachable,
      lease_seconds: r.lease_seconds, command_timeout_ms: r.command_timeout_ms,
    },
  };
}

/** a file the gateway reads later (a CA bundle): readable now, or the start stops here */
function mustRead(sources: Source[], key: string, file: string): void {
  if (!file) return;
  try {
    readFileSync(file);
  } catch (err) {
    throw new ConfigError(fileDefining(sources, key), key, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function duplicates(values: string[]): string | undefined {
  return values.find((v, i) => values.indexOf(v) !== i);
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/**
 * A mistake only the running gateway can find (drachtio-server refusing the secret), named
 * like a load error: the file and key that set it (`<key>_env` or `<key>_file` for a secret).
 */
export function runtimeConfigError(files: readonly string[], key: string, detail: string): ConfigError {
  let sources: Source[] = [];
  try {
    sources = files.map(readYaml);
  } catch { /* the file changed since the start: name the last one */ }
  const set = [`${key}_env`, `${key}_file`, key].find((k) => sources.some((src) => defines(src.doc, k)));
  return new ConfigError(set ? fileDefining(sources, set) : (files[files.length - 1] ?? '(config)'), set ?? key, detail);
}

export function loadConfig(files: readonly string[], env: Env): GatewayConfig {
  if (files.length === 0) throw new ConfigError('(none)', '(file)', 'no config file given');
  const sources = files.map(readYaml);
  const merged = sources.reduce<Doc>((acc, s) => merge(acc, s.doc), {});
  type Top = Omit<GatewayConfig, 'numbers' | 'pbxs' | 'freeswitch' | 'drachtio' | 'cluster' | 'redis'> & RawCluster & {
    numbers: unknown[]; pbxs: unknown[]; freeswitch: unknown[]; drachtio: Raw<Omit<GatewayConfig['drachtio'], 'secret'>>;
  };
  const top = validate<Top>(topSchema, merged, '', sources);

  const pbxNames = new Set(top.pbxs.map((p) => (isMapping(p) && typeof p.name === 'string' ? p.name : '')));
  const numbers = top.numbers.map((n, i) => loadNumber(n, i, sources, env, pbxNames));
  const dupNumber = duplicates(numbers.map((n) => n.number));
  if (dupNumber) throw new ConfigError(fileDefining(sources, 'numbers'), 'numbers', `number ${dupNumber} is listed twice`);
  const pbxs = top.pbxs.map((p, i) => loadPbx(p, i, sources, env, new Set(numbers.map((n) => n.number))));
  const dupPbx = duplicates(pbxs.map((p) => p.name));
  if (dupPbx) throw new ConfigError(fileDefining(sources, 'pbxs'), 'pbxs', `PBX name ${dupPbx} is used twice`);
  const freeswitch = top.freeswitch.map((f, i) => loadFreeswitch(f, i, sources, env));
  if (freeswitch.length === 0) throw new ConfigError(fileDefining(sources, 'freeswitch'), 'freeswitch', 'at least one media server is required');
  if (!top.meta.hostname) throw new ConfigError(fileDefining(sources, 'meta'), 'meta.hostname', 'required: the SIP hostname configured at Meta');

  const drachtioSecret = secret(sources, env, 'drachtio.secret', top.drachtio.secret_env ?? '', top.drachtio.secret_file ?? '', true);
  mustRead(sources, 'meta.outbound_tls_ca_file', top.meta.outbound_tls_ca_file);
  mustRead(sources, 'drachtio.tls_ca_file', top.drachtio.tls_ca_file);
  const { cluster, redis } = loadCluster(top, sources, env);
  return deepFreeze({
    log: top.log,
    drachtio: {
      host: top.drachtio.host, port: top.drachtio.port, secret: drachtioSecret,
      tls: top.drachtio.tls, tls_ca_file: top.drachtio.tls_ca_file, tls_servername: top.drachtio.tls_servername || top.drachtio.host,
    },
    freeswitch,
    meta: { ...top.meta, auth_realm: top.meta.auth_realm || top.meta.hostname },
    numbers,
    pbxs,
    cdr: top.cdr,
    media: top.media,
    http: top.http,
    limits: top.limits,
    shutdown: top.shutdown,
    cluster,
    redis,
    homer: top.homer,
    rtpengine: checkRtpengine(top.rtpengine, sources),
  });
}

/** rtpengine (issue 11): the ng address is host:port, and its interface names come both or not at all */
function checkRtpengine(r: RtpengineConfig, sources: Source[]): RtpengineConfig {
  if (r.address && !parseNgAddress(r.address)) {
    throw new ConfigError(fileDefining(sources, 'rtpengine.address'), 'rtpengine.address', `${JSON.stringify(r.address)}: expected host:port of rtpengine's ng control port, e.g. 127.0.0.1:22222 or [::1]:22222`);
  }
  if (Boolean(r.meta_interface) !== Boolean(r.freeswitch_interface)) {
    const key = r.meta_interface ? 'rtpengine.freeswitch_interface' : 'rtpengine.meta_interface';
    throw new ConfigError(fileDefining(sources, 'rtpengine'), key, 'set both rtpengine.meta_interface and rtpengine.freeswitch_interface, or neither');
  }
  return r;
}

