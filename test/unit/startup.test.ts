import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The real entry point refuses a bad config: exit code 2, one line naming file and key. */
const root = resolve(__dirname, '../..');

function start(yaml: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'wa-gw-start-'));
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, yaml);
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', join(root, 'src/index.ts')], {
    cwd: root, env: { PATH: process.env.PATH ?? '', WA_GW_CONFIG: file, ...env }, encoding: 'utf8', timeout: 30_000,
  });
  return { ...r, file };
}

describe('gateway start-up with a bad config', () => {
  const good = readFileSync(join(root, 'config/gateway.yaml'), 'utf8');

  it('exits 2 naming the file and the unknown key', () => {
    const r = start(good.replace('meta:\n', 'meta:\n  hostnam: typo.example.com\n'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${r.file}: meta.hostnam: unknown key`);
  });

  it('exits 2 naming the missing secret, and never prints a secret it did read', () => {
    const r = start(good, { DRACHTIO_SECRET: 'drachtio-very-secret', FS_ESL_PASSWORD: 'fs-very-secret', PBX_TRUNK_PASSWORD: 'pbx-very-secret' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('numbers[0].sip_password_env: environment variable META_SIP_PASSWORD_12145551869 is not set');
    expect(r.stderr + r.stdout).not.toMatch(/very-secret/);
  });
});

describe('gateway shutdown with its servers unreachable', () => {
  it('exits 0 on SIGTERM although drachtio-server and FreeSWITCH never answered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wa-gw-stop-'));
    const file = join(dir, 'gateway.yaml');
    // ports where nothing listens: the gateway keeps retrying both connections
    writeFileSync(file, `log: { level: info }
http: { host: 127.0.0.1, port: 0 }
drachtio: { host: 127.0.0.1, port: 1, secret_env: X_SECRET }
freeswitch: [{ host: 127.0.0.1, port: 2, secret_env: X_SECRET }]
meta: { hostname: gw.example.com }
numbers: [{ number: "+12145551869", sip_password_env: X_SECRET, pbx: main, destination: "1001" }]
pbxs: [{ name: main, host: 127.0.0.20 }]
cdr: { file: ${join(dir, 'cdr.jsonl')} }
`);
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(root, 'src/index.ts')], {
      cwd: root, env: { PATH: process.env.PATH ?? '', WA_GW_CONFIG: file, X_SECRET: 's' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`never started: ${out}`)), 20_000);
      child.stdout.on('data', () => { if (out.includes('wa-sip-gateway started')) { clearTimeout(t); res(); } });
    });
    await new Promise((r) => setTimeout(r, 1500)); // at least one failed connect of each
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => {
      const t = setTimeout(() => { child.kill('SIGKILL'); res(null); }, 10_000);
      child.once('exit', (c) => { clearTimeout(t); res(c); });
    });
    expect(code, out).toBe(0);
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(out).toContain('"msg":"stopped"');
  }, 40_000);
});
