import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A private CA and certificates for the test bed, made with the openssl CLI: one for the
 * gateway's TLS listener (the hostname configured at Meta) and one for the Meta emulator.
 */
export interface CertSet {
  dir: string;
  caCert: string;
  gateway: { key: string; cert: string; chain: string };
  meta: { key: string; cert: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

function issue(dir: string, name: string, cn: string, san: string): void {
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-out', `${name}.crt`, '-extfile', `${name}.ext`], dir);
}

/** Diffie-Hellman parameters, which drachtio-server needs for its TLS admin port (DSA-style: quick to make) */
export function dhParams(dir: string): string {
  const file = join(dir, 'dh.pem');
  if (!existsSync(file)) openssl(['dhparam', '-dsaparam', '-out', 'dh.pem', '2048'], dir);
  return file;
}

export function makeCerts(dir: string, gatewayHost: string): CertSet {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'meta.crt'))) {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=wa-sip-gateway test CA'], dir);
    issue(dir, 'gateway', gatewayHost, `DNS:${gatewayHost},IP:127.0.0.1`);
    issue(dir, 'meta', 'wa.meta.vc', 'DNS:wa.meta.vc,IP:127.0.0.10');
  }
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caCert: read('ca.crt'),
    gateway: { key: join(dir, 'gateway.key'), cert: join(dir, 'gateway.crt'), chain: join(dir, 'ca.crt') },
    meta: { key: read('meta.key'), cert: read('meta.crt') },
  };
}
