/**
 * A small argv parser: `--name value` / `--name=value` options (optionally repeatable),
 * boolean `--flag`s and positionals. Unknown options and missing values are UsageErrors.
 */
import { UsageError } from './output';

export interface ArgSpec {
  /** options taking one value; the last occurrence wins */
  values?: readonly string[];
  /** options taking a value that may be given many times */
  lists?: readonly string[];
  /** options without a value */
  flags?: readonly string[];
}

export interface ParsedArgs {
  values: Map<string, string>;
  lists: Map<string, string[]>;
  flags: Set<string>;
  positionals: string[];
}

export function parseArgs(argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const parsed: ParsedArgs = { values: new Map(), lists: new Map(), flags: new Set(), positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--') || arg === '--') {
      if (arg === '--') parsed.positionals.push(...argv.slice(i + 1));
      else parsed.positionals.push(arg);
      if (arg === '--') break;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (spec.flags?.includes(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      parsed.flags.add(name);
      continue;
    }
    const isList = spec.lists?.includes(name) ?? false;
    if (!isList && !spec.values?.includes(name)) throw new UsageError(`unknown option --${name}`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      i++;
    }
    if (isList) parsed.lists.set(name, [...(parsed.lists.get(name) ?? []), value]);
    else parsed.values.set(name, value);
  }
  return parsed;
}

/** the value of a required option, or a UsageError naming it */
export function required(args: ParsedArgs, name: string): string {
  const v = args.values.get(name);
  if (!v) throw new UsageError(`--${name} is required`);
  return v;
}
