/**
 * One TLS connection to the server under test, as Meta makes it: reports the certificate
 * chain, whether the chain verifies (system CAs, or the given CA file), and whether the
 * certificate covers the name (checked separately, so both verdicts are visible).
 */
import { isIP } from 'node:net';
import { type Certificate, checkServerIdentity, connect, type DetailedPeerCertificate } from 'node:tls';

export interface ProbeOptions {
  host: string;
  port: number;
  /** the name Meta has configured (default: host); sent as SNI unless it is an IP address */
  servername: string;
  /** PEM of the CAs to trust instead of the system store */
  ca?: string;
  timeoutMs: number;
}

export interface ChainEntry {
  subject: string;
  sans: string;
  issuer: string;
  validTo: string;
}

export interface ProbeResult {
  protocol: string;
  cipher: string;
  chain: ChainEntry[];
  verifyError: string | null;
  nameError: string | null;
}

function cn(name: Certificate | undefined): string {
  const v = name?.CN;
  if (v === undefined) return '(no CN)';
  return Array.isArray(v) ? v.join(', ') : v;
}

function chainOf(leaf: DetailedPeerCertificate): ChainEntry[] {
  const out: ChainEntry[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = leaf;
  while (cert && cert.fingerprint256 && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    out.push({ subject: cn(cert.subject), sans: cert.subjectaltname ?? '', issuer: cn(cert.issuer), validTo: cert.valid_to });
    cert = cert.issuerCertificate;
  }
  return out;
}

export function probeTls(o: ProbeOptions): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: o.host,
      port: o.port,
      ...(isIP(o.servername) ? {} : { servername: o.servername }),
      ...(o.ca ? { ca: o.ca } : {}),
      rejectUnauthorized: false,
      // the name is checked below on its own, so `authorized` speaks only of the chain
      checkServerIdentity: () => undefined,
    });
    socket.setTimeout(o.timeoutMs, () => socket.destroy(new Error(`no TLS handshake within ${o.timeoutMs / 1000}s`)));
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const leaf = socket.getPeerCertificate(true);
      const nameError = leaf.raw ? checkServerIdentity(o.servername, leaf) : new Error('the server sent no certificate');
      resolve({
        protocol: socket.getProtocol() ?? '?',
        cipher: socket.getCipher().name,
        chain: leaf.raw ? chainOf(leaf) : [],
        verifyError: socket.authorized ? null : String(socket.authorizationError ?? 'not verified'),
        nameError: nameError ? nameError.message : null,
      });
      socket.end();
      socket.destroy();
    });
  });
}
