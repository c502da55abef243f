import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * A wrong drachtio secret, against a stand-in for drachtio-server that speaks its admin
 * protocol as v0.9.10 does (src/client.cpp): `<len>#<id>|authenticate|<secret>|<tags>` is
 * answered `<len>#<id>|response|<request id>|NOK|incorrect secret` and the connection closed.
 * The gateway must say the secret is wrong, exit 2 naming file and key, and not retry.
 * (test/integration/drachtio-secret.test.ts does the same against the real drachtio-server.)
 */
const root = resolve(__dirname, '../..');

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
    const dir = mkdtempSync(join(tmpdir(), 'wa-gw-secret-'));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, `http: { port: 0 }
drachtio: { host: 127.0.0.1, port: ${fake.port}, secret_env: WRONG_SECRET }
freeswitch: [{ host: 127.0.0.1, port: 2, secret_env: FS_SECRET }]
meta: { hostname: gw.example.com }
numbers: [{ number: "+12145551869", sip_password_env: FS_SECRET, pbx: main, destination: "1001" }]
pbxs: [{ name: main, host: 127.0.0.20 }]
cdr: { file: ${join(dir, 'cdr.jsonl')} }
`);
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(root, 'src/index.ts')], {
      cwd: root, env: { PATH: process.env.PATH ?? '', WA_GW_CONFIG: file, WRONG_SECRET: 'not-the-secret-9f2', FS_SECRET: 'fs-9f2' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    const code = await new Promise<number | null>((res) => {
      const t = setTimeout(() => { child.kill('SIGKILL'); res(null); }, 30_000);
      child.once('exit', (c) => { clearTimeout(t); res(c); });
    });
    expect(code, out + err).toBe(2);
    expect(err).toBe(`wa-sip-gateway: invalid configuration: ${file}: drachtio.secret_env: drachtio-server at 127.0.0.1:${fake.port} refused the secret: it does not match drachtio-server's --secret\n`);
    const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(lines.some((l) => l.level === 50 && l.msg.includes('refused the secret'))).toBe(true);
    expect(lines.map((l) => l.msg)).not.toContain('connected to drachtio-server');
    expect(fake.secrets).toEqual(['not-the-secret-9f2']); // one attempt: no retry with a secret known to be wrong
    expect(out + err).not.toContain('not-the-secret-9f2');
  }, 40_000);
});
