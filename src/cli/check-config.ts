/**
 * `check-config <file>...`: loads the gateway config exactly as the gateway would (same
 * files, same environment for secrets) and prints a summary, or the ConfigError naming
 * the file and key. Secrets are never printed. Warns (on stderr, exit 0) about business
 * numbers of countries where Meta offers no business-initiated calling.
 */
import { ConfigError, loadConfig } from '../config/load';
import { countryWarnings } from '../sip/meta-countries';
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
    const checked = cfg.numbers.filter((n) => n.call_permissions);
    if (checked.length) {
      io.out(`  call permission checks: ${checked.map((n) => `${n.number} (phone number ID ${n.call_permissions!.phone_number_id}${n.call_permissions!.request_permission ? ', sends permission requests' : ''})`).join(', ')}`);
    }
    for (const w of countryWarnings(cfg.numbers)) io.err(`warning: ${w.msg}`);
    return EXIT_OK;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(err.message);
    return EXIT_USAGE;
  }
}
