/**
 * Operator command line (SPEC O4): `meta configure|show|permission|request-permission`, `check-tls`, `check-config`, `schema`,
 * `test-call`.
 * `run()` parses argv and dispatches; it returns the exit code and writes only through the
 * given Io, so tests can call it in-process. Run as a script, it uses the real process.
 */
import { checkConfig } from './cli/check-config';
import { checkTls } from './cli/check-tls';
import { mediaCommand } from './cli/media-drain';
import type { Env } from './cli/graph';
import { metaConfigure } from './cli/meta-configure';
import { metaPermission, metaRequestPermission } from './cli/meta-permission';
import { metaShow } from './cli/meta-show';
import { schemaCommand } from './cli/schema';
import { testCall } from './cli/test-call';
import { EXIT_FAIL, EXIT_OK, EXIT_USAGE, type Io, processIo, UsageError } from './cli/output';
import { USAGE } from './cli/usage';

async function dispatch(argv: readonly string[], env: Env, io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(USAGE);
    return EXIT_OK;
  }
  switch (command) {
    case 'meta': {
      const [sub, ...args] = rest;
      if (sub === 'configure') return metaConfigure(args, env, io);
      if (sub === 'show') return metaShow(args, env, io);
      if (sub === 'permission') return metaPermission(args, env, io);
      if (sub === 'request-permission') return metaRequestPermission(args, env, io);
      throw new UsageError(sub === undefined ? 'meta needs a subcommand: configure, show, permission or request-permission' : `unknown meta subcommand ${sub}`);
    }
    case 'check-tls':
      return checkTls(rest, io);
    case 'check-config':
      return checkConfig(rest, env, io);
    case 'media':
      return mediaCommand(rest, io);
    case 'schema':
      return schemaCommand(rest, io);
    case 'test-call':
      return testCall(rest, env, io);
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

export async function run(argv: readonly string[], env: Env, io: Io): Promise<number> {
  try {
    return await dispatch(argv, env, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`wa-sip-gateway: ${err.message}`);
      io.err('run "wa-sip-gateway --help" for usage');
      return EXIT_USAGE;
    }
    io.err(`wa-sip-gateway: ${(err as Error).message}`);
    return EXIT_FAIL;
  }
}

if (require.main === module) {
  void run(process.argv.slice(2), process.env, processIo).then((code) => {
    process.exitCode = code;
  });
}
