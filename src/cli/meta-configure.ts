/**
 * `meta configure`: POST /<PHONE_NUMBER_ID>/settings to enable calling over SIP with one
 * SIP server (our hostname and TLS port, optional Request-URI user params, SRTP key exchange).
 */
import { type ParsedArgs, parseArgs, required } from './args';
import { type Env, graphRequest, graphTarget, phoneNumberId, settingsUrl, showJson } from './graph';
import { EXIT_FAIL, EXIT_OK, type Io, UsageError } from './output';

export const CONFIGURE_SPEC = {
  values: ['phone-number-id', 'hostname', 'port', 'srtp', 'graph-url', 'graph-version'],
  lists: ['user-param'],
} as const;

export interface SipServerSettings {
  hostname: string;
  port: number;
  userParams: Record<string, string> | null;
  srtp: 'SDES' | 'DTLS';
}

/** the exact body Meta expects (SPEC M13); request_uri_user_params only when some are given */
export function settingsBody(s: SipServerSettings): unknown {
  const server: Record<string, unknown> = { hostname: s.hostname, port: s.port };
  if (s.userParams) server.request_uri_user_params = s.userParams;
  return {
    calling: {
      status: 'ENABLED',
      srtp_key_exchange_protocol: s.srtp,
      sip: { status: 'ENABLED', servers: [server] },
    },
  };
}

function userParams(pairs: readonly string[]): Record<string, string> | null {
  if (pairs.length === 0) return null;
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : '';
    const value = eq > 0 ? pair.slice(eq + 1) : '';
    if (!key || !value) throw new UsageError(`--user-param must be key=value (got ${JSON.stringify(pair)})`);
    if (key.length > 128 || value.length > 128) throw new UsageError(`--user-param ${key}: key and value are limited to 128 characters`);
    out[key] = value;
  }
  return out;
}

export function configureSettings(args: ParsedArgs): { id: string; settings: SipServerSettings } {
  if (args.positionals.length) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
  const id = phoneNumberId(args);
  const hostname = required(args, 'hostname');
  if (!/^[A-Za-z0-9.-]+$/.test(hostname)) throw new UsageError('--hostname must be a bare host name (no scheme, port or path)');
  const portText = args.values.get('port') ?? '5061';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new UsageError(`--port must be 1..65535 (got ${portText})`);
  const srtp = (args.values.get('srtp') ?? 'SDES').toUpperCase();
  if (srtp !== 'SDES' && srtp !== 'DTLS') throw new UsageError(`--srtp must be SDES or DTLS (got ${srtp})`);
  return { id, settings: { hostname, port, userParams: userParams(args.lists.get('user-param') ?? []), srtp } };
}

export async function metaConfigure(argv: readonly string[], env: Env, io: Io): Promise<number> {
  const args = parseArgs(argv, CONFIGURE_SPEC);
  const { id, settings } = configureSettings(args);
  const target = graphTarget(args, env);
  const answer = await graphRequest(target, 'POST', settingsUrl(target, id), settingsBody(settings));
  if (!answer.ok) {
    io.err(answer.body);
    io.err(`meta configure: the Graph API answered HTTP ${answer.status}`);
    return EXIT_FAIL;
  }
  io.out(showJson(answer.body));
  return EXIT_OK;
}
