import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type TlsOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CertSet, makeCerts } from '../../support/certs';
import { type CliResult, runCli, spawnCli } from './run-cli';

const HOST = 'sip.example.com';
let certs: CertSet;
const servers: Server[] = [];

async function tlsServer(extra: TlsOptions): Promise<string> {
  const server = createServer({
    key: readFileSync(certs.gateway.key), cert: readFileSync(certs.gateway.cert), ...extra,
  }, (socket) => {
    socket.on('error', () => undefined);
    socket.end();
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return String((server.address() as AddressInfo).port);
}

let plain = '';
let mtls13 = '';
let mtls12 = '';
beforeAll(async () => {
  certs = makeCerts(mkdtempSync(join(tmpdir(), 'wa-gw-cli-tls-')), HOST);
  plain = await tlsServer({});
  mtls13 = await tlsServer({ requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
  mtls12 = await tlsServer({ requestCert: true, rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
}, 60_000);
afterAll(() => Promise.all(servers.map((s) => new Promise<void>((done) => s.close(() => done())))));

const ca = () => join(certs.dir, 'ca.crt');
const line = (r: CliResult, start: string) => r.stdout.split('\n').filter((l) => l.startsWith(start));

describe('check-tls', () => {
  it('(a) a good certificate, the test CA and the right name: all OK, no client certificate requested, exit 0 (spawned)', async () => {
    const r = await spawnCli(['check-tls', '127.0.0.1', plain, '--servername', HOST, '--ca', ca()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`[0] subject CN=${HOST}; SANs: DNS:${HOST}, IP Address:127.0.0.1; issuer CN=wa-sip-gateway test CA; valid to `);
    expect(line(r, 'FAIL')).toEqual([]);
    expect(line(r, 'OK')).toEqual([
      expect.stringMatching(/^OK {4}TLS handshake: TLSv1\.3 /),
      `OK    chain verifies against the CA file ${ca()}`,
      `OK    certificate name matches ${HOST}`,
      'OK    no client certificate requested (Meta does not do mutual TLS)',
    ]);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('verdict: OK - Meta can connect to this TLS server');
  }, 30_000);

  it('(b) a name the certificate does not cover: the name check FAILs, exit 1', async () => {
    const r = await runCli(['check-tls', '127.0.0.1', plain, '--servername', 'other.example', '--ca', ca()]);
    expect(r.code).toBe(1);
    expect(line(r, 'FAIL')).toEqual([expect.stringContaining('FAIL  certificate name does not match other.example: ')]);
    expect(r.stdout).toContain(`OK    chain verifies against the CA file ${ca()}`);
    expect(r.stdout).toContain('verdict: FAIL');
  }, 30_000);

  it('a chain from a private CA does not verify against the system CAs', async () => {
    const r = await runCli(['check-tls', '127.0.0.1', plain, '--servername', HOST]);
    expect(r.code).toBe(1);
    expect(line(r, 'FAIL')).toEqual([expect.stringMatching(/^FAIL {2}chain does not verify against the system CAs: [A-Z_]+/)]);
  }, 30_000);

  it.each([
    ['TLS 1.3', () => mtls13, 'TLSv1.3'],
    ['TLS 1.2', () => mtls12, 'TLSv1.2'],
  ])('(c) a server that requests a client certificate (%s): that check FAILs, exit 1', async (_name, port, protocol) => {
    const r = await runCli(['check-tls', '127.0.0.1', port(), '--servername', HOST, '--ca', ca()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`OK    TLS handshake: ${protocol} `);
    expect(r.stdout).toContain(`OK    certificate name matches ${HOST}`);
    expect(line(r, 'FAIL')).toEqual([
      'FAIL  server requests a client certificate (the server sent a CertificateRequest); Meta does not do mutual TLS, turn client-certificate requests off',
    ]);
    expect(r.stdout).toContain('verdict: FAIL');
  }, 30_000);

  it('nothing listening: the handshake FAILs, exit 1; a missing port is a usage error, exit 2', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = String((closed.address() as AddressInfo).port);
    await new Promise<void>((done) => closed.close(() => done()));
    const r = await runCli(['check-tls', '127.0.0.1', port]);
    expect(r.code).toBe(1);
    expect(line(r, 'FAIL')).toEqual([expect.stringContaining('ECONNREFUSED')]);
    expect((await runCli(['check-tls', '127.0.0.1'])).code).toBe(2);
  });

  it('a --ca file that cannot be read is a usage error naming it, exit 2, before any connection', async () => {
    const r = await runCli(['check-tls', '127.0.0.1', plain, '--ca', '/nonexistent/ca.pem']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read --ca /nonexistent/ca.pem: ENOENT');
    expect(r.stdout).toBe('');
  });
});
