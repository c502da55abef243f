import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The real entry point (src/index.ts) in a child process, for the unit tests that check its
 * start, signals and exit codes without any server: its config points drachtio and FreeSWITCH
 * at ports where nothing listens, so the gateway runs and keeps retrying both connections.
 */
export const root = resolve(__dirname, '../..');

/** A temp dir with gateway.yaml for an offline gateway; `drachtio` replaces the unreachable one. */
export function offlineConfig(prefix: string, o: { head?: string; drachtio?: string; secretEnv?: string } = {}): { dir: string; file: string; cdr: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'gateway.yaml');
  const cdr = join(dir, 'cdr.jsonl');
  const secret = o.secretEnv ?? 'X_SECRET';
  writeFileSync(file, `${o.head ?? ''}http: { host: 127.0.0.1, port: 0 }
drachtio: ${o.drachtio ?? `{ host: 127.0.0.1, port: 1, secret_env: ${secret} }`}
freeswitch: [{ host: 127.0.0.1, port: 2, secret_env: ${secret} }]
meta: { hostname: gw.example.com }
numbers: [{ number: "+12145551869", sip_password_env: ${secret}, pbx: main, destination: "1001" }]
pbxs: [{ name: main, host: 127.0.0.20 }]
cdr: { file: ${cdr} }
`);
  return { dir, file, cdr };
}

export interface EntryProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** everything it wrote to stdout (its JSON log) and stderr so far */
  out(): string;
  err(): string;
  /** resolves once stdout contains `text`; rejects after `ms` with the log so far */
  logged(text: string, ms?: number): Promise<void>;
  /** its exit code, or 'hung' (and SIGKILL) when it did not exit within `ms` */
  exited(ms: number): Promise<number | null | 'hung'>;
  kill(): Promise<void>;
}

export function spawnEntry(configFile: string, env: Record<string, string>, o: { preload?: string[] } = {}): EntryProcess {
  const requires = [...(o.preload ?? []), 'tsx/cjs'].flatMap((p) => ['--require', p]);
  const child = spawn(process.execPath, [...requires, join(root, 'src/index.ts')], {
    cwd: root, env: { PATH: process.env.PATH ?? '', WA_GW_CONFIG: configFile, ...env }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  const exit = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  return {
    child,
    out: () => out,
    err: () => err,
    logged: (text, ms = 20_000) => new Promise<void>((res, rej) => {
      const check = () => { if (out.includes(text)) { clearTimeout(t); child.stdout.off('data', check); res(); } };
      const t = setTimeout(() => { child.stdout.off('data', check); rej(new Error(`no "${text}" in: ${out}${err}`)); }, ms);
      child.stdout.on('data', check);
      check();
    }),
    exited: async (ms) => {
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((res) => { timer = setTimeout(() => res('hung'), ms); });
      const code = await Promise.race([exit, hung]);
      clearTimeout(timer);
      if (code === 'hung') child.kill('SIGKILL');
      return code;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
  };
}

/** its stdout as pino's JSON lines */
export function logLines(out: string): { level: number; msg: string; err?: { message: string } }[] {
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } });
}
