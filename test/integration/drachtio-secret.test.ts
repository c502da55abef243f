import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayProcess } from '../support/gateway-process';
import { RUN_DIR } from '../support/servers';
import { gatewayYaml, testBed, TEST_ENV } from './harness';

/**
 * Issue 10, acceptance 6 (second half), on the real drachtio-server of the test bed: a
 * gateway started with the wrong drachtio secret logs an error that says the secret is wrong
 * (it used to log "connected to drachtio-server" and retry forever), and exits 2 naming the
 * file and key, as every configuration mistake does.
 */
describe.skipIf(!testBed)('a wrong drachtio secret, against drachtio-server', () => {
  it('is logged as such and stops the gateway: exit 2 with <file>: drachtio.secret_env', async () => {
    mkdirSync(join(RUN_DIR, 'gateway'), { recursive: true });
    const file = join(RUN_DIR, 'gateway', 'wrong-secret.yaml');
    writeFileSync(file, gatewayYaml());
    const gw = GatewayProcess.start(file, { ...TEST_ENV, TEST_DRACHTIO_SECRET: 'not-what-drachtio-has-7c1' }, 0, 'gateway-wrong-secret');
    try {
      const code = await gw.exited(20_000);
      const log = gw.log();
      expect(code, log).toBe(2);
      const lines = log.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
      expect(lines.some((l) => l.level === 50 && /refused the secret: it does not match drachtio-server's --secret/.test(l.msg)), log).toBe(true);
      expect(lines.map((l) => l.msg)).not.toContain('connected to drachtio-server');
      expect(log).toContain(`wa-sip-gateway: invalid configuration: ${file}: drachtio.secret_env: drachtio-server at `);
      expect(log).not.toContain('not-what-drachtio-has-7c1');
    } finally {
      await gw.kill();
    }
  });
});
