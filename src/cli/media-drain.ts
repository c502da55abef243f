/**
 * `wa-sip-gateway media list|drain|resume [<host:port>] [--gateway URL]...`: the media
 * servers as each gateway instance sees them, and draining one (no new calls; its calls
 * finish) or taking it back, through each instance's HTTP API (src/http/media-admin.ts).
 * Several instances share the FreeSWITCH pool, so a drain is told to every one of them.
 */
import { parseArgs } from './args';
import { EXIT_FAIL, EXIT_OK, type Io, UsageError } from './output';

const DEFAULT_GATEWAY = 'http://127.0.0.1:8080';

interface ServerState { server: string; connected: boolean; drained: boolean; legs: number; stuck?: number }

function line(s: ServerState): string {
  return `  ${s.server}  ${s.connected ? 'connected' : 'down'}${s.drained ? ', drained' : ''}, ${s.legs} FreeSWITCH channel${s.legs === 1 ? '' : 's'}${s.stuck ? `, ${s.stuck} stuck (restart it)` : ''}`;
}

export async function mediaCommand(argv: readonly string[], io: Io, fetchFn: typeof fetch = fetch): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'list' && sub !== 'drain' && sub !== 'resume') {
    throw new UsageError(sub === undefined ? 'media needs a subcommand: list, drain or resume' : `unknown media subcommand ${sub}`);
  }
  const args = parseArgs(rest, { lists: ['gateway'] });
  const gateways = args.lists.get('gateway') ?? [DEFAULT_GATEWAY];
  const server = args.positionals[0];
  if (sub !== 'list' && (!server || args.positionals.length > 1)) throw new UsageError(`media ${sub} needs one media server, as host:port of its event socket (freeswitch[].host and port)`);
  if (sub === 'list' && args.positionals.length > 0) throw new UsageError('media list takes no media server');
  let failed = false;
  for (const gw of gateways) {
    const base = gw.replace(/\/+$/, '');
    const url = sub === 'list' ? `${base}/media-servers` : `${base}/media-servers/${encodeURIComponent(server!)}/${sub}`;
    try {
      const r = await fetchFn(url, { method: sub === 'list' ? 'GET' : 'POST', signal: AbortSignal.timeout(5000) });
      const body = (await r.json()) as ServerState | ServerState[] | { error: string };
      if (!r.ok) {
        failed = true;
        io.err(`${base}: ${r.status} ${'error' in body ? body.error : ''}`);
        continue;
      }
      io.out(`${base}:`);
      for (const s of Array.isArray(body) ? body : [body as ServerState]) io.out(line(s));
    } catch (err) {
      failed = true;
      io.err(`${base}: ${(err as Error).message}`);
    }
  }
  return failed ? EXIT_FAIL : EXIT_OK;
}
