import { existsSync, renameSync, rmSync, watch } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { offlineConfig, spawnEntry } from '../support/entry-process';

/**
 * logrotate's part of SIGHUP, on the real entry point: after the CDR file was moved away, a
 * SIGHUP makes the gateway open it again by name (a new, empty file appears at the path).
 */
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
    const { dir, file, cdr } = offlineConfig('wa-gw-hup-');
    const gw = spawnEntry(file, { X_SECRET: 's' });
    try {
      await gw.logged('wa-sip-gateway started');
      expect(await appears(dir, 'cdr.jsonl', 5000)).toBe(true);
      renameSync(cdr, `${cdr}.1`);
      gw.child.kill('SIGHUP');
      await gw.logged('configuration reloaded');
      expect(await appears(dir, 'cdr.jsonl', 5000)).toBe(true);
    } finally {
      await gw.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
