import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logLines, offlineConfig, root, spawnEntry } from '../support/entry-process';

/**
 * The stated policy for a bug that escapes (README, "Crash policy"): crash-only. The gateway
 * logs it as fatal, hangs up its calls (bounded) and exits 70, so that the supervisor
 * (docker's restart policy) starts a clean process; it does not serve on in an unknown state.
 */
async function crashWith(bug: 'throw' | 'reject') {
  const { file } = offlineConfig('wa-gw-crash-');
  const gw = spawnEntry(file, { X_SECRET: 's', INJECT_BUG: bug }, { preload: [join(root, 'test/support/inject-bug.cjs')] });
  await gw.logged('wa-sip-gateway started');
  gw.child.kill('SIGUSR2');
  const code = await gw.exited(10_000);
  return { code, lines: logLines(gw.out()) };
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
