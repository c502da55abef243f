import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { offlineConfig, root, spawnEntry } from '../support/entry-process';

/** The real entry point refuses a bad config: exit code 2, one line naming file and key. */

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
    // ports where nothing listens: the gateway keeps retrying both connections
    const { file } = offlineConfig('wa-gw-stop-', { head: 'log: { level: info }\n' });
    const gw = spawnEntry(file, { X_SECRET: 's' });
    await gw.logged('wa-sip-gateway started');
    // at least one failed connect of each
    await gw.logged('drachtio-server connection error');
    await gw.logged('media server connect failed; retrying');
    const t0 = Date.now();
    gw.child.kill('SIGTERM');
    const code = await gw.exited(10_000);
    expect(code, gw.out()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(gw.out()).toContain('"msg":"stopped"');
  }, 40_000);
});
