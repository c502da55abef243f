/**
 * The CLI's only way to the terminal: an `Io` with one method per stream. The real one
 * writes to process.stdout / process.stderr; tests pass one that collects the text.
 */

export interface Io {
  /** write one line (a trailing newline is added) to standard output */
  out(text: string): void;
  /** write one line (a trailing newline is added) to standard error */
  err(text: string): void;
}

function line(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(line(text)),
  err: (text) => void process.stderr.write(line(text)),
};

/** an Io that keeps everything written, for tests and for composing output */
export function bufferIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => void stdout.push(line(t)), err: (t) => void stderr.push(line(t)) };
}

/** exit codes: 0 all good, 1 a check or a remote call failed, 2 bad usage / config / environment */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

/** a problem with how the tool was invoked (bad option, missing env var): exit 2 with the message */
export class UsageError extends Error {
  override name = 'UsageError';
}
