/**
 * `check-config <file>...`: loads the gateway config exactly as the gateway would (same
 * files, same environment for secrets) and prints a summary, or the ConfigError naming
 * the file and key. Secrets are never printed.
 */
import { ConfigError, loadConfig } from '../config/load';
import type { Env } from './graph';
import { EXIT_OK, EXIT_USAGE, type Io, UsageError } from './output';

export function checkConfig(argv: readonly string[], env: Env, io: Io): number {
  const files = [...argv];
  const option = files.find((f) => f.startsWith('--'));
  if (option) throw new UsageError(`unknown option ${option}`);
  if (files.length === 0) throw new UsageError('usage: check-config <file> [<file>...]');
  try {
    const cfg = loadConfig(files, env);
    io.out(`config OK: ${files.join(', ')}`);
    io.out(`  business numbers: ${cfg.numbers.length} (${cfg.numbers.map((n) => n.number).join(', ')})`);
    io.out(`  PBXs: ${cfg.pbxs.length} (${cfg.pbxs.map((p) => p.name).join(', ')})`);
    io.out(`  media servers: ${cfg.freeswitch.length}`);
    io.out(`  Meta hostname: ${cfg.meta.hostname}`);
    return EXIT_OK;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(err.message);
    return EXIT_USAGE;
  }
}
