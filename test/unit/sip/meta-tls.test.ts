import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetaTlsVerifier, type Resolver } from '../../../src/sip/meta-tls';
import { makeCerts, type CertSet } from '../../support/certs';
import { metaConfig } from '../../support/config-fixtures';

/**
 * Meta's certificate is checked against the configured CA and name at the very address the
 * INVITE is then sent to (real TLS servers on loopback addresses).
 */
describe('MetaTlsVerifier', () => {
  let certs: CertSet;
  let other: CertSet;
  const servers: Server[] = [];
  let port = 0;
  /** connections each address saw */
  const hits = new Map<string, number>();

  async function listen(address: string, cert: CertSet['meta'], p: number): Promise<number> {
    const server = createServer({ cert: cert.cert, key: cert.key }, (s) => s.end());
    server.on('connection', () => hits.set(address, (hits.get(address) ?? 0) + 1));
    servers.push(server);
    await new Promise<void>((r) => server.listen(p, address, () => r()));
    return (server.address() as { port: number }).port;
  }

  beforeAll(async () => {
    certs = makeCerts(mkdtempSync(join(tmpdir(), 'wa-tls-')), 'gw.test');
    other = makeCerts(mkdtempSync(join(tmpdir(), 'wa-tls-other-')), 'gw.test');
    port = await listen('127.0.0.1', certs.meta, 0);
    // the same port on two more addresses: one presents a certificate of another CA, one a good one
    await listen('127.0.0.31', other.meta, port);
    await listen('127.0.0.32', certs.meta, port);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  const verifier = (ca: string, servername: string, host = '127.0.0.1', resolve?: Resolver) =>
    new MetaTlsVerifier(metaConfig({ outbound_host: host, outbound_port: port, outbound_tls_ca_file: ca, outbound_tls_servername: servername }), resolve);

  it('pins an address whose certificate for wa.meta.vc chains to the configured CA', async () => {
    await expect(verifier(join(certs.dir, 'ca.crt'), 'wa.meta.vc').pin()).resolves.toEqual({ address: '127.0.0.1', port });
  });

  it('refuses another CA and another name', async () => {
    await expect(verifier(join(other.dir, 'ca.crt'), 'wa.meta.vc').pin()).rejects.toThrow(/Meta TLS check 127\.0\.0\.1/);
    await expect(verifier(join(certs.dir, 'ca.crt'), 'evil.example.com').pin()).rejects.toThrow(/altnames|Hostname|IP/i);
  });

  it('a name that resolves to a bad address first: refused, and the good second address is not tried', async () => {
    hits.clear();
    const v = verifier(join(certs.dir, 'ca.crt'), 'wa.meta.vc', 'wa.meta.vc', async () => ['127.0.0.31', '127.0.0.32']);
    await expect(v.pin()).rejects.toThrow(/127\.0\.0\.31/);
    expect(hits.get('127.0.0.31')).toBe(1);
    expect(hits.get('127.0.0.32')).toBeUndefined();
  });

  it('a name that resolves to a good address first: pinned to that address', async () => {
    const v = verifier(join(certs.dir, 'ca.crt'), 'wa.meta.vc', 'wa.meta.vc', async () => ['127.0.0.32', '127.0.0.31']);
    await expect(v.pin()).resolves.toEqual({ address: '127.0.0.32', port });
  });

  it('a name that does not resolve is refused with the reason', async () => {
    const v = verifier(join(certs.dir, 'ca.crt'), 'wa.meta.vc', 'wa.meta.vc', async () => { throw new Error('ENOTFOUND'); });
    await expect(v.pin()).rejects.toThrow(/cannot resolve wa\.meta\.vc: ENOTFOUND/);
  });
});
