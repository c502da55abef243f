import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetaTlsVerifier } from '../../../src/sip/meta-tls';
import { makeCerts, type CertSet } from '../../support/certs';
import { metaConfig } from '../../support/config-fixtures';

/** Meta's certificate is checked against the configured CA and name before business-initiated calls. */
describe('MetaTlsVerifier', () => {
  let certs: CertSet;
  let other: CertSet;
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    certs = makeCerts(mkdtempSync(join(tmpdir(), 'wa-tls-')), 'gw.test');
    other = makeCerts(mkdtempSync(join(tmpdir(), 'wa-tls-other-')), 'gw.test');
    server = createServer({ cert: certs.meta.cert, key: certs.meta.key }, (s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const verifier = (ca: string, servername: string) =>
    new MetaTlsVerifier(metaConfig({ outbound_host: '127.0.0.1', outbound_port: port, outbound_tls_ca_file: ca, outbound_tls_servername: servername }));

  it('accepts a certificate for wa.meta.vc from the configured CA', async () => {
    await expect(verifier(join(certs.dir, 'ca.crt'), 'wa.meta.vc').verify()).resolves.toBeUndefined();
  });

  it('refuses another CA and another name', async () => {
    await expect(verifier(join(other.dir, 'ca.crt'), 'wa.meta.vc').verify()).rejects.toThrow(/Meta TLS check/);
    await expect(verifier(join(certs.dir, 'ca.crt'), 'evil.example.com').verify()).rejects.toThrow(/altnames|Hostname|IP/i);
  });
});
