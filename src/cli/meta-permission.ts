/**
 * `meta permission <business> <user>`: GET /<PHONE_NUMBER_ID>/call_permissions?user_wa_id=<user>,
 * printed as the state, each action with its limits, and what the gateway would do with an
 * agent's call. `meta request-permission <business> <user>`: POST /<PHONE_NUMBER_ID>/messages
 * with the call permission request (free-form interactive message).
 * <business> is the phone number ID, or the business number (+E.164) with --config naming the
 * gateway's YAML, whose call_permissions give the ID, token, Graph URL, version and text.
 */
import { decide, periodWords } from '../call/permission-decision';
import { utcTime } from '../call/refusal-causes';
import { loadConfig } from '../config/load';
import { DEFAULT_REQUEST_TEXT, messagesUrl, parsePermissionState, permissionRequestBody, permissionsUrl, type PermissionState } from '../graph/call-permissions';
import { type ParsedArgs, parseArgs } from './args';
import { type Env, type GraphTarget, graphRequest, graphTarget, showJson } from './graph';
import { EXIT_FAIL, EXIT_OK, type Io, UsageError } from './output';

const SPEC = { values: ['config', 'graph-url', 'graph-version', 'text'] } as const;

interface Business { id: string; target: GraphTarget; text: string }

function user(arg: string | undefined): string {
  if (!arg || !/^\+?[1-9]\d{6,14}$/.test(arg)) throw new UsageError(`<user> must be the WhatsApp user's number, E.164 (e.g. +447700900123), got ${JSON.stringify(arg ?? '')}`);
  return arg.startsWith('+') ? arg : `+${arg}`;
}

/** the phone number ID and Graph access: from the arguments and environment, or from the gateway's YAML */
function business(args: ParsedArgs, env: Env, arg: string | undefined): Business {
  const files = (args.values.get('config') ?? '').split(',').filter(Boolean);
  if (arg && /^\d+$/.test(arg) && files.length === 0) return { id: arg, target: graphTarget(args, env), text: DEFAULT_REQUEST_TEXT };
  if (!arg || !/^\+[1-9]\d{6,14}$/.test(arg)) throw new UsageError('<business> must be the phone number ID, or the business number (+E.164) with --config FILE');
  if (files.length === 0) throw new UsageError(`${arg}: a business number needs --config FILE (the gateway's YAML) to find its call_permissions; or give its phone number ID`);
  const n = loadConfig(files, env).numbers.find((x) => x.number === arg);
  if (!n) throw new UsageError(`${arg} is not one of the numbers in ${files.join(', ')}`);
  const c = n.call_permissions;
  if (!c) throw new UsageError(`${arg} has no call_permissions (phone_number_id, token_env) in ${files.join(', ')}`);
  const version = args.values.get('graph-version') || c.graph_version;
  return { id: c.phone_number_id, target: { baseUrl: (args.values.get('graph-url') || c.graph_url).replace(/\/+$/, ''), version, token: c.token }, text: c.request_text };
}

function operands(argv: readonly string[], env: Env): { args: ParsedArgs; biz: Business; who: string } {
  const args = parseArgs(argv, SPEC);
  if (args.positionals.length !== 2) throw new UsageError('usage: meta permission|request-permission <business> <user> [--config FILE]');
  const who = user(args.positionals[1]);
  return { args, biz: business(args, env, args.positionals[0]), who };
}

/** the state as an operator reads it, one line per fact */
export function describePermission(state: PermissionState): string[] {
  const lines = [`permission: ${state.status}${state.expiresAt !== null ? `, expires ${utcTime(state.expiresAt)}` : ''}`];
  for (const [name, a] of Object.entries(state.actions)) {
    lines.push(`${name}: ${a.canPerform ? 'allowed now' : 'not allowed now'}`);
    for (const l of a.limits) lines.push(`  ${periodWords(l.period)}: ${l.used} of ${l.max} used${l.liftsAt !== null ? `, lifts ${utcTime(l.liftsAt)}` : ''}`);
  }
  const d = decide(state);
  lines.push(d.kind === 'allow' ? "an agent's call: goes to Meta"
    : d.kind === 'refuse' ? `an agent's call: refused by the gateway (${d.cause}): ${d.text}`
      : `an agent's call: goes to Meta unchecked (${d.why})`);
  return lines;
}

export async function metaPermission(argv: readonly string[], env: Env, io: Io): Promise<number> {
  const { biz, who } = operands(argv, env);
  const answer = await graphRequest(biz.target, 'GET', permissionsUrl(biz.target, biz.id, who));
  if (!answer.ok) {
    io.err(answer.body);
    io.err(`meta permission: the Graph API answered HTTP ${answer.status}`);
    return EXIT_FAIL;
  }
  const state = parsePermissionState(answer.body);
  if (typeof state === 'string') {
    io.err(answer.body);
    io.err(`meta permission: cannot read Meta's answer: ${state}`);
    return EXIT_FAIL;
  }
  io.out(`${who} from phone number ID ${biz.id}:`);
  for (const line of describePermission(state)) io.out(line);
  return EXIT_OK;
}

export async function metaRequestPermission(argv: readonly string[], env: Env, io: Io): Promise<number> {
  const { args, biz, who } = operands(argv, env);
  const text = args.values.get('text') ?? biz.text;
  const answer = await graphRequest(biz.target, 'POST', messagesUrl(biz.target, biz.id), permissionRequestBody(who, text));
  if (!answer.ok) {
    io.err(answer.body);
    io.err(`meta request-permission: the Graph API answered HTTP ${answer.status}`);
    return EXIT_FAIL;
  }
  io.out(showJson(answer.body));
  io.out(`call permission request sent to ${who}`);
  return EXIT_OK;
}
