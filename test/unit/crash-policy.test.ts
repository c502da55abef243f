import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The stated policy for a bug that escapes (README, "Crash policy"): crash-only. The gateway
 * logs it as fatal, hangs up its calls (bounded) and exits 70, so that the supervisor
 * (docker's restart policy) starts a clean process; it does not serve on in an unknown state.
 */
const root = resolve(__dirname, '../..');

async function crashWith(bug: 'throw' | 'reject') {
  const dir = mkdtempSync(join(tmpdir(), 'wa-gw-crash-'));
  const file = join(dir, 'gateway.yaml');
  // ports where nothing listens: the gateway runs, retrying both connections
  writeFileSync(file, `http: { host: 127.0.0.1, port: 0 }
drachtio: { host: 127.0.0.1, port: 1, secret_env: X_SECRET }
freeswitch: [{ host: 127.0.0.1, port: 2, secret_env: X_SECRET }]
meta: { hostname: gw.example.com }
numbers: [{ number: "+12145551869", sip_password_env: X_SECRET, pbx: main, destination: "1001" }]
pbxs: [{ name: main, host: 127.0.0.20 }]
cdr: { file: ${join(dir, 'cdr.jsonl')} }
`);
  const child = spawn(process.execPath, ['--require', join(root, 'test/support/inject-bug.cjs'), '--require', 'tsx/cjs', join(root, 'src/index.ts')], {
    cwd: root, env: { PATH: process.env.PATH ?? '', WA_GW_CONFIG: file, X_SECRET: 's', INJECT_BUG: bug }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const started = new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`never started: ${out}`)), 20_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('wa-sip-gateway started')) { clearTimeout(t); res(); }
    });
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (c) => res(c)));
  await started;
  child.kill('SIGUSR2');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'hung'>((res) => { timer = setTimeout(() => res('hung'), 10_000); });
  const code = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (code === 'hung') child.kill('SIGKILL');
  const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } });
  return { code, lines };
}

describe('crash policy', () => {
  it('an uncaught exception: a fatal log line with the error, exit 70', async () => {
    const { code, lines } = await crashWith('throw');
    expect(code).toBe(70);
    const fatal = lines.find((l) => l.level === 60);
    expect(fatal?.msg).toMatch(/^bug: uncaught exception; hanging up the calls and exiting/);
    expect(fatal?.err?.message).toBe('injected exception');
  }, 40_000);

  it('an unhandled promise rejection: the same', async () => {
    const { code, lines } = await crashWith('reject');
    expect(code).toBe(70);
    const fatal = lines.find((l) => l.level === 60);
    expect(fatal?.msg).toMatch(/^bug: unhandled promise rejection; hanging up the calls/);
    expect(fatal?.err?.message).toBe('injected rejection');
  }, 40_000);
});
