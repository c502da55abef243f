/**
 * `meta show`: GET /<PHONE_NUMBER_ID>/settings. With --include-sip-credentials it asks Meta
 * for the SIP password and prints it on one labelled line per server; this is the only
 * place the tool ever prints a password (the JSON it prints always has it masked).
 */
import { parseArgs } from './args';
import { type Env, graphRequest, graphTarget, phoneNumberId, settingsUrl, showJson } from './graph';
import { EXIT_FAIL, EXIT_OK, type Io, UsageError } from './output';

const SHOW_SPEC = { values: ['phone-number-id', 'graph-url', 'graph-version'], flags: ['include-sip-credentials'] } as const;

interface ServerWithPassword {
  hostname: string;
  password: string;
}

/** calling.sip.servers[] entries that carry a sip_user_password */
export function sipPasswords(body: string): ServerWithPassword[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const servers = (parsed as { calling?: { sip?: { servers?: unknown } } } | null)?.calling?.sip?.servers;
  if (!Array.isArray(servers)) return [];
  return servers.flatMap((s: unknown) => {
    const { hostname, sip_user_password: password } = (s ?? {}) as { hostname?: unknown; sip_user_password?: unknown };
    return typeof password === 'string' ? [{ hostname: typeof hostname === 'string' ? hostname : '(no hostname)', password }] : [];
  });
}

export async function metaShow(argv: readonly string[], env: Env, io: Io): Promise<number> {
  const args = parseArgs(argv, SHOW_SPEC);
  if (args.positionals.length) throw new UsageError(`unexpected argument ${args.positionals[0]}`);
  const id = phoneNumberId(args);
  const target = graphTarget(args, env);
  const withCredentials = args.flags.has('include-sip-credentials');
  const answer = await graphRequest(target, 'GET', settingsUrl(target, id, withCredentials ? '?include_sip_credentials=true' : ''));
  if (!answer.ok) {
    io.err(answer.body);
    io.err(`meta show: the Graph API answered HTTP ${answer.status}`);
    return EXIT_FAIL;
  }
  io.out(showJson(answer.body));
  if (withCredentials) {
    const found = sipPasswords(answer.body);
    if (found.length === 0) io.err('meta show: Meta returned no sip_user_password (is SIP configured on this number by this app?)');
    for (const s of found) {
      io.out(`sip_user_password for ${s.hostname}: ${s.password}  (store it in your secret store; it is not shown again by this tool)`);
    }
  }
  return EXIT_OK;
}
