import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import type { MetaConfig } from '../config/types';

/**
 * Verifies Meta's TLS certificate before business-initiated calls (SPEC M1): chain to the
 * configured CA (or the system's), and the expected name. drachtio-server's TLS client
 * can only verify peers when its server side also demands client certificates, which
 * Meta does not send, so the gateway checks Meta's listener itself, with its own TLS
 * connection to the same host and port, and remembers a success for `cacheMs`.
 */
export class MetaTlsVerifier {
  private okUntil = 0;
  private inFlight: Promise<void> | null = null;
  private readonly ca: string | undefined;

  constructor(private readonly meta: MetaConfig, private readonly cacheMs = 60_000, private readonly timeoutMs = 5000) {
    this.ca = meta.outbound_tls_ca_file ? readFileSync(meta.outbound_tls_ca_file, 'utf8') : undefined;
  }

  verify(): Promise<void> {
    if (Date.now() < this.okUntil) return Promise.resolve();
    this.inFlight ??= this.check().finally(() => { this.inFlight = null; });
    return this.inFlight;
  }

  private check(): Promise<void> {
    const { outbound_host: host, outbound_port: port, outbound_tls_servername: servername } = this.meta;
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port, servername, ca: this.ca, rejectUnauthorized: true, timeout: this.timeoutMs });
      const fail = (why: string) => {
        sock.destroy();
        reject(new Error(`Meta TLS check ${host}:${port} (${servername}): ${why}`));
      };
      sock.once('secureConnect', () => {
        sock.end();
        this.okUntil = Date.now() + this.cacheMs;
        resolve();
      });
      sock.once('timeout', () => fail('timeout'));
      sock.once('error', (err) => fail(err.message));
    });
  }
}
