/**
 * The file an option names (a CA bundle, a certificate, a key), read whole as text; one that
 * cannot be read is a UsageError naming the option and the file.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './output';

/** the text of `file`, given with `option` (e.g. `--ca`) */
export function readOptionFile(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${option} ${file}: ${(err as Error).message}`);
  }
}
