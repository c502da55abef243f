/**
 * `schema [--out FILE]`: the JSON Schema of the gateway YAML, generated from the convict
 * schema (src/config/json-schema.ts). Without --out it goes to standard output;
 * `npm run schema` writes config/gateway.schema.json, which editors read through the
 * `# yaml-language-server: $schema=` line of config/gateway.yaml.
 */
import { writeFileSync } from 'node:fs';
import { gatewayJsonSchemaText } from '../config/json-schema';
import { parseArgs } from './args';
import { EXIT_FAIL, EXIT_OK, type Io, UsageError } from './output';

export function schemaCommand(argv: readonly string[], io: Io): number {
  const args = parseArgs(argv, { values: ['out'] });
  if (args.positionals.length) throw new UsageError(`schema takes no arguments (got ${args.positionals.join(' ')})`);
  const text = gatewayJsonSchemaText();
  const out = args.values.get('out');
  if (!out) {
    io.out(text);
    return EXIT_OK;
  }
  try {
    writeFileSync(out, text);
  } catch (err) {
    io.err(`wa-sip-gateway: cannot write ${out}: ${(err as Error).message}`);
    return EXIT_FAIL;
  }
  io.out(`wrote ${out}`);
  return EXIT_OK;
}
