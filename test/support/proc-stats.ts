import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory and CPU time of a process, from /proc (Linux). */
export interface ProcStats {
  rssKb: number;
  cpuMs: number;
}

const CLOCK_TICKS_PER_S = 100; // USER_HZ: 100 on every Linux ABI Node supports

export function procStats(pid: number): ProcStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  // fields after the command name (which may hold spaces, inside parentheses): utime is the 14th field, stime the 15th
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssKb, cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_S };
}

/** the pid of the process whose command line has every one of `args`, or null */
export function findPid(args: string[]): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string[];
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args.every((a) => cmdline.includes(a))) return Number(entry);
  }
  return null;
}
