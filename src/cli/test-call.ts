/**
 * `test-call --gateway HOST:PORT --number +E164 ...`: a synthetic WhatsApp call into a
 * running gateway (src/testcall/run-test-call.ts) and its report. Exit 0 only when audio
 * flowed both ways; 1 when the call or the audio failed; 2 for bad usage. The number's SIP
 * password comes from an environment variable, never from the command line.
 */
import { isIP } from 'node:net';
import type { KeyExchange } from '../testcall/meta-media';
import { reportJson, reportText } from '../testcall/report';
import { runOutbound, type OutboundOptions } from '../testcall/run-outbound';
import { runTestCall, type TestCallOptions } from '../testcall/run-test-call';
import { parseArgs, required } from './args';
import type { Env } from './graph';
import { readOptionFile } from './option-file';
import { EXIT_FAIL, EXIT_OK, type Io, UsageError } from './output';

const SPEC = {
  values: ['gateway', 'number', 'servername', 'ca', 'password-env', 'from', 'seconds', 'local-address', 'cdr', 'tone', 'dtmf', 'answer-timeout', 'listen', 'cert', 'key', 'wait', 'srtp'],
  flags: ['json', 'outbound'],
} as const;

const E164 = /^\+[1-9]\d{6,14}$/;

/** `host:port`, `[v6]:port` */
export function hostPort(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || !(port >= 1 && port <= 65535)) throw new UsageError(`--gateway must be HOST:PORT or [IPv6]:PORT (got ${text})`);
  return { host: m[1]!, port };
}

/** `--srtp sdes|dtls`: the key exchange the number has at Meta (its srtp_key_exchange_protocol) */
function srtpOption(args: ReturnType<typeof parseArgs>): KeyExchange | undefined {
  const text = args.values.get('srtp');
  if (text === undefined) return undefined;
  const v = text.toLowerCase();
  if (v !== 'sdes' && v !== 'dtls') throw new UsageError(`--srtp must be sdes or dtls (got ${text})`);
  return v;
}

function numberOption(args: ReturnType<typeof parseArgs>, name: string, fallback: number, min: number, max: number): number {
  const text = args.values.get(name);
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!/^\d+$/.test(text) || v < min || v > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got ${text})`);
  return v;
}

export function testCallOptions(argv: readonly string[], env: Env): TestCallOptions & { json: boolean } {
  const args = parseArgs(argv, SPEC);
  if (args.positionals.length) throw new UsageError(`test-call takes no arguments (got ${args.positionals.join(' ')})`);
  if (args.flags.has('outbound')) throw new UsageError('--outbound takes --listen IP:PORT --cert FILE --key FILE (see wa-sip-gateway --help)');
  const { host, port } = hostPort(required(args, 'gateway'));
  const number = required(args, 'number');
  if (!E164.test(number)) throw new UsageError(`--number must be E.164 with a leading + (got ${number})`);
  const from = args.values.get('from') ?? '+15555550100';
  if (!E164.test(from)) throw new UsageError(`--from must be E.164 with a leading + (got ${from})`);
  const passwordEnv = args.values.get('password-env') ?? `META_SIP_PASSWORD_${number.slice(1)}`;
  const password = env[passwordEnv];
  if (!password) throw new UsageError(`environment variable ${passwordEnv} (the number's Meta SIP password) is not set${args.values.has('password-env') ? '' : '; or name another with --password-env'}`);
  const servername = args.values.get('servername') ?? host;
  if (isIP(servername) && !args.values.has('servername')) {
    // Meta connects by the hostname configured on the number: its certificate is checked against that name
    throw new UsageError('--servername NAME is required when --gateway is an address: the hostname configured at Meta, which the certificate must carry');
  }
  const caFile = args.values.get('ca');
  const ca = caFile ? readOptionFile(caFile, '--ca') : undefined;
  const local = args.values.get('local-address');
  if (local !== undefined && !isIP(local)) throw new UsageError(`--local-address must be an IP address (got ${local})`);
  const dtmf = args.values.get('dtmf') ?? '1234';
  if (!/^[0-9*#A-D]*$/i.test(dtmf)) throw new UsageError(`--dtmf takes 0-9 * # A-D (got ${dtmf})`);
  return {
    host, port, servername, ca, number, from, password, dtmf, srtp: srtpOption(args) ?? 'sdes',
    ...(local ? { localAddress: local } : {}),
    ...(args.values.get('cdr') ? { cdrFile: args.values.get('cdr') } : {}),
    seconds: numberOption(args, 'seconds', 8, 3, 3600),
    toneHz: numberOption(args, 'tone', 600, 200, 3400),
    answerTimeoutMs: numberOption(args, 'answer-timeout', 90, 1, 600) * 1000,
    json: args.flags.has('json'),
  };
}

/** `--outbound --listen IP:PORT --cert FILE --key FILE [--password-env VAR] [--wait S] ...` */
export function outboundOptions(argv: readonly string[], env: Env): OutboundOptions & { json: boolean } {
  const args = parseArgs(argv, SPEC);
  if (args.positionals.length) throw new UsageError(`test-call takes no arguments (got ${args.positionals.join(' ')})`);
  for (const inbound of ['gateway', 'number', 'servername', 'ca', 'from', 'local-address', 'answer-timeout']) {
    if (args.values.has(inbound)) throw new UsageError(`--${inbound} is for calls into the gateway, not --outbound`);
  }
  const listen = required(args, 'listen');
  const { host, port } = hostPort(listen);
  if (!isIP(host)) throw new UsageError(`--listen must be IP:PORT (got ${listen})`);
  const cert = readOptionFile(required(args, 'cert'), '--cert');
  const key = readOptionFile(required(args, 'key'), '--key');
  const passwordEnv = args.values.get('password-env');
  const dtmf = args.values.get('dtmf') ?? '1234';
  if (!/^[0-9*#A-D]*$/i.test(dtmf)) throw new UsageError(`--dtmf takes 0-9 * # A-D (got ${dtmf})`);
  return {
    host, port, cert, key, dtmf,
    ...(args.values.has('srtp') ? { srtp: srtpOption(args) } : {}),
    passwordFor: (business) => env[passwordEnv ?? `META_SIP_PASSWORD_${business.slice(1)}`] || undefined,
    ...(args.values.get('cdr') ? { cdrFile: args.values.get('cdr') } : {}),
    seconds: numberOption(args, 'seconds', 8, 3, 3600),
    toneHz: numberOption(args, 'tone', 600, 200, 3400),
    waitMs: numberOption(args, 'wait', 120, 1, 3600) * 1000,
    json: args.flags.has('json'),
  };
}

export async function testCall(argv: readonly string[], env: Env, io: Io): Promise<number> {
  if (argv.includes('--outbound')) {
    const { json, ...o } = outboundOptions(argv, env);
    const r = await runOutbound({ ...o, progress: (line) => io.err(`test-call: ${line}`) });
    io.out(json ? reportJson(r) : reportText(r));
    return r.bothWays ? EXIT_OK : EXIT_FAIL;
  }
  const { json, ...options } = testCallOptions(argv, env);
  const report = await runTestCall({ ...options, progress: (line) => io.err(`test-call: ${line}`) });
  io.out(json ? reportJson(report) : reportText(report));
  return report.bothWays ? EXIT_OK : EXIT_FAIL;
}
