import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { logLines, offlineConfig, spawnEntry } from '../support/entry-process';

/**
 * A wrong drachtio secret, against a stand-in for drachtio-server that speaks its admin
 * protocol as v0.9.10 does (src/client.cpp): `<len>#<id>|authenticate|<secret>|<tags>` is
 * answered `<len>#<id>|response|<request id>|NOK|incorrect secret` and the connection closed.
 * The gateway must say the secret is wrong, exit 2 naming file and key, and not retry.
 * (test/integration/drachtio-secret.test.ts does the same against the real drachtio-server.)
 */
function fakeDrachtio(): Promise<{ server: Server; port: number; secrets: string[] }> {
  const secrets: string[] = [];
  const server = createServer((sock) => {
    let buf = '';
    sock.on('data', (b) => {
      buf += b.toString();
      const m = /^(\d+)#/.exec(buf);
      if (!m || buf.length < m[0].length + Number(m[1])) return;
      const [id, verb, secret] = buf.slice(m[0].length, m[0].length + Number(m[1])).split('|');
      if (verb !== 'authenticate') return;
      secrets.push(secret ?? '');
      const reply = `reply-1|response|${id}|NOK|incorrect secret`;
      sock.end(`${Buffer.byteLength(reply)}#${reply}`);
    });
    sock.on('error', () => undefined);
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res({ server, port: (server.address() as AddressInfo).port, secrets })));
}

let server: Server | undefined;
afterEach(() => new Promise<void>((res) => (server ? server.close(() => res()) : res())));

describe('a wrong drachtio secret', () => {
  it('is logged as a wrong secret, not as "connected"; the gateway exits 2 naming the file and key, without retrying', async () => {
    const fake = await fakeDrachtio();
    server = fake.server;
    const { file } = offlineConfig('wa-gw-secret-', { drachtio: `{ host: 127.0.0.1, port: ${fake.port}, secret_env: WRONG_SECRET }`, secretEnv: 'FS_SECRET' });
    const gw = spawnEntry(file, { WRONG_SECRET: 'not-the-secret-9f2', FS_SECRET: 'fs-9f2' });
    const code = await gw.exited(30_000);
    const out = gw.out();
    const err = gw.err();
    expect(code, out + err).toBe(2);
    expect(err).toBe(`wa-sip-gateway: invalid configuration: ${file}: drachtio.secret_env: drachtio-server at 127.0.0.1:${fake.port} refused the secret: it does not match drachtio-server's --secret\n`);
    const lines = logLines(out);
    expect(lines.some((l) => l.level === 50 && l.msg.includes('refused the secret'))).toBe(true);
    expect(lines.map((l) => l.msg)).not.toContain('connected to drachtio-server');
    expect(fake.secrets).toEqual(['not-the-secret-9f2']); // one attempt: no retry with a secret known to be wrong
    expect(out + err).not.toContain('not-the-secret-9f2');
  }, 40_000);
});
