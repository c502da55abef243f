import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * logrotate's part of SIGHUP, on the real entry point: after the CDR file was moved away, a
 * SIGHUP makes the gateway open it again by name (a new, empty file appears at the path).
 */
const root = resolve(__dirname, '../..');

function appears(dir: string, name: string, timeoutMs: number): Promise<boolean> {
  return new Promise((res) => {
    const w = watch(dir, () => { if (existsSync(join(dir, name))) done(true); });
    const t = setTimeout(() => done(false), timeoutMs);
    function done(v: boolean) { clearTimeout(t); w.close(); res(v); }
    if (existsSync(join(dir, name))) done(true);
  });
}

describe('SIGHUP and the CDR file', () => {
  it('opens the CDR file again by name after logrotate moved it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-gw-hup-'));
    const file = join(dir, 'gateway.yaml');
    const cdr = join(dir, 'cdr.jsonl');
    writeFileSync(file, `http: { host: 127.0.0.1, port: 0 }
drachtio: { host: 127.0.0.1, port: 1, secret_env: X_SECRET }
freeswitch: [{ host: 127.0.0.1, port: 2, secret_env: X_SECRET }]
meta: { hostname: gw.example.com }
numbers: [{ number: "+12145551869", sip_password_env: X_SECRET, pbx: main, destination: "1001" }]
pbxs: [{ name: main, host: 127.0.0.20 }]
cdr: { file: ${cdr} }
`);
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(root, 'src/index.ts')], {
      cwd: root, env: { PATH: process.env.PATH ?? '', WA_GW_CONFIG: file, X_SECRET: 's' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const logged = (text: string) => new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`no "${text}" in: ${out}`)), 20_000);
      const check = () => { if (out.includes(text)) { clearTimeout(t); res(); } };
      child.stdout.on('data', check);
      check();
    });
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    try {
      await logged('wa-sip-gateway started');
      expect(await appears(dir, 'cdr.jsonl', 5000)).toBe(true);
      renameSync(cdr, `${cdr}.1`);
      child.kill('SIGHUP');
      await logged('configuration reloaded');
      expect(await appears(dir, 'cdr.jsonl', 5000)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await new Promise((res) => (child.exitCode !== null || child.signalCode !== null ? res(null) : child.once('exit', res)));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
