import { readFileSync } from 'node:fs';

/** one pino line of the gateway's log */
export interface LogEntry {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export const WARN = 40;

/** the gateway's log file as pino entries (lines that are not JSON are skipped) */
export function logEntries(file: string): LogEntry[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).flatMap((l) => {
    try {
      return [JSON.parse(l) as LogEntry];
    } catch {
      return [];
    }
  });
}
